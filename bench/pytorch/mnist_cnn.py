# A PyTorch twin of examples/mnist_cnn.nn, trained as `nnc train examples/mnist_cnn.nn
# --data mnist` trains it: Neuron's own 8,000 / 2,000 split of the `mnist` digits (written out
# by compare-mnist-cnn.js), PyTorch's default init, Adam(lr=0.001), batch 32, a fresh shuffle
# per epoch, 3 epochs, held-out accuracy in eval mode (running batch-norm statistics, no
# dropout) after each epoch. One JSON line per seed.
#
#   python3 mnist_cnn.py SPLIT_DIR SEED...
import json
import sys
import time

import numpy as np
import torch
from torch import nn

BATCH, EPOCHS, LR = 32, 3, 0.001


def load(directory, part):
    x = np.fromfile(f"{directory}/{part}_x.f32", dtype=np.float32).reshape(-1, 1, 28, 28)
    y = np.fromfile(f"{directory}/{part}_y.i32", dtype=np.int32).astype(np.int64)
    return torch.from_numpy(x), torch.from_numpy(y)


def mnist_cnn():
    # NCHW where the .nn model is NHWC: only the order of the first dense layer's inputs
    # differs, and its initial weights are drawn independently per element either way.
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(32 * 7 * 7, 64), nn.ReLU(), nn.Dropout(0.25), nn.Linear(64, 10),
    )


def train(seed, train_x, train_y, test_x, test_y):
    torch.manual_seed(seed)
    model = mnist_cnn()
    optimizer = torch.optim.Adam(model.parameters(), lr=LR)
    loss_of = nn.CrossEntropyLoss()
    started = time.time()
    epochs = []
    for epoch in range(1, EPOCHS + 1):
        model.train()
        order = torch.randperm(len(train_x))
        total = 0.0
        for at in range(0, len(train_x), BATCH):
            rows = order[at:at + BATCH]
            optimizer.zero_grad()
            loss = loss_of(model(train_x[rows]), train_y[rows])
            loss.backward()
            optimizer.step()
            total += loss.item() * len(rows)
        model.eval()
        with torch.no_grad():
            accuracy = (model(test_x).argmax(1) == test_y).float().mean().item()
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
