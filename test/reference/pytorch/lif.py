"""PyTorch 1.13 twin of Neuron's lif, for test/reference/pytorch-lif.test.ts, written from
snnTorch's Leaky equations (snnTorch is not needed):
  R[t] = H(U[t-1] - θ) detached; subtract: U[t] = clamp(β, 0, 1) U[t-1] + I[t] - R[t] θ;
  zero: U[t] = (1 - R[t]) clamp(β, 0, 1) U[t-1] + I[t]; none: U[t] = clamp(β, 0, 1) U[t-1] + I[t];
  S[t] = H(U[t] - θ), its gradient the surrogate's.
Reads a list of cases as JSON on stdin (the model `x |> dense(H) |> lif(...) |> sum_time`
with mse, its weights by name, a batch) and prints per case: the output, the loss, every
weight's gradient and the output after one SGD step.
"""
import json
import math
import sys

import torch


def spike_function(surrogate, slope, alpha):
    class Spike(torch.autograd.Function):
        @staticmethod
        def forward(ctx, v):
            ctx.save_for_backward(v)
            return (v > 0).to(v.dtype)

        @staticmethod
        def backward(ctx, grad):
            (v,) = ctx.saved_tensors
            if surrogate == "atan":
                return grad * (alpha / 2) / (1 + (math.pi / 2 * alpha * v) ** 2)
            return grad / (1 + slope * v.abs()) ** 2

    return Spike.apply


def run(case):
    dtype = torch.float64 if case["dtype"] == "float64" else torch.float32
    steps, width, hidden, batch = case["steps"], case["inputWidth"], case["hidden"], case["batch"]
    w = {name: torch.tensor(v, dtype=dtype).reshape(case["shapes"][name]).requires_grad_() for name, v in case["weights"].items()}
    x = torch.tensor(case["x"], dtype=dtype).reshape(batch, steps, width)
    target = torch.tensor(case["target"], dtype=dtype).reshape(batch, hidden)
    spike = spike_function(case["surrogate"], case["slope"], case["alpha"])

    def forward():
        current = x @ w["weight"].T + w["bias"]
        beta, theta = w["beta"].clamp(0, 1), w["threshold"]
        mem = torch.zeros(batch, hidden, dtype=dtype)
        total = torch.zeros(batch, hidden, dtype=dtype)
        for t in range(steps):
            reset = (mem - theta > 0).to(dtype).detach()
            if case["reset"] == "subtract":
                mem = beta * mem + current[:, t] - reset * theta
            elif case["reset"] == "zero":
                mem = (1 - reset) * beta * mem + current[:, t]
            else:
                mem = beta * mem + current[:, t]
            total = total + spike(mem - theta)
        return total

    y = forward()
    loss = torch.nn.functional.mse_loss(y, target)
    loss.backward()
    grads = {name: p.grad.reshape(-1).tolist() for name, p in w.items()}
    with torch.no_grad():
        for p in w.values():
            p -= case["lr"] * p.grad
        after = forward()
    return {"y": y.detach().reshape(-1).tolist(), "loss": loss.item(), "grads": grads, "after": after.reshape(-1).tolist()}


json.dump([run(case) for case in json.load(sys.stdin)], sys.stdout)
