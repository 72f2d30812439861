# A PyTorch twin of examples/spiking_mnist.nn (snnTorch's tutorial 5 network), with the leaky
# integrate-and-fire neuron written from snnTorch's equations (snnTorch itself is not needed):
#   R = H(U[t-1] - θ) detached;  U[t] = β U[t-1] + I[t] - R θ;  S = H(U[t] - θ)
# with the atan surrogate (α/2) / (1 + (π/2 α (U - θ))²) as the spike's gradient. Trained as
# `nnc train examples/spiking_mnist.nn --data mnist` trains it: Neuron's 8,000 / 2,000 split
# (written out by compare-mnist-cnn.js --example spiking_mnist), PyTorch's default init,
# Adam(lr=5e-4), batch 128, a fresh shuffle per epoch, 10 epochs, cross-entropy of the output
# membrane at every step summed over the 25 steps, held-out accuracy from the membranes summed
# over time. One JSON line per seed.
#
#   python3 spiking_mnist.py SPLIT_DIR SEED...
import json
import math
import sys
import time

import numpy as np
import torch
from torch import nn

BATCH, EPOCHS, LR, STEPS, BETA, THRESHOLD, ALPHA = 128, 10, 5e-4, 25, 0.95, 1.0, 2.0


class ATan(torch.autograd.Function):
    @staticmethod
    def forward(ctx, v):
        ctx.save_for_backward(v)
        return (v > 0).to(v.dtype)

    @staticmethod
    def backward(ctx, grad):
        (v,) = ctx.saved_tensors
        return grad * (ALPHA / 2) / (1 + (math.pi / 2 * ALPHA * v) ** 2)


def leaky(current, mem):
    reset = (mem - THRESHOLD > 0).to(mem.dtype).detach()
    mem = BETA * mem + current - reset * THRESHOLD
    return ATan.apply(mem - THRESHOLD), mem


class SpikingMnist(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784, 1000)
        self.fc2 = nn.Linear(1000, 10)

    def forward(self, x):
        current = self.fc1(x)  # the same image at every step: the same current
        mem1 = torch.zeros_like(current)
        mem2 = current.new_zeros(x.shape[0], 10)
        membranes = []
        for _ in range(STEPS):
            spikes, mem1 = leaky(current, mem1)
            _, mem2 = leaky(self.fc2(spikes), mem2)
            membranes.append(mem2)
        return torch.stack(membranes)


def load(directory, part):
    x = np.fromfile(f"{directory}/{part}_x.f32", dtype=np.float32).reshape(-1, 784)
    y = np.fromfile(f"{directory}/{part}_y.i32", dtype=np.int32).astype(np.int64)
    return torch.from_numpy(x), torch.from_numpy(y)


def train(seed, train_x, train_y, test_x, test_y):
    torch.manual_seed(seed)
    model = SpikingMnist()
    optimizer = torch.optim.Adam(model.parameters(), lr=LR)
    loss_of = nn.CrossEntropyLoss()
    started = time.time()
    epochs = []
    for epoch in range(1, EPOCHS + 1):
        order = torch.randperm(len(train_x))
        total = 0.0
        for at in range(0, len(train_x), BATCH):
            rows = order[at:at + BATCH]
            optimizer.zero_grad()
            membranes = model(train_x[rows])
            loss = sum(loss_of(m, train_y[rows]) for m in membranes)
            loss.backward()
            optimizer.step()
            total += loss.item() * len(rows)
        with torch.no_grad():
            accuracy = (model(test_x).sum(0).argmax(1) == test_y).float().mean().item()
        epochs.append({"epoch": epoch, "loss": total / len(train_x), "val_accuracy": accuracy})
    return {"seed": seed, "epochs": epochs, "seconds": time.time() - started}


def main():
    directory, seeds = sys.argv[1], [int(s) for s in sys.argv[2:]]
    torch.set_num_threads(1)
    data = load(directory, "train") + load(directory, "test")
    for seed in seeds:
        print(json.dumps(train(seed, *data)), flush=True)


if __name__ == "__main__":
    main()
