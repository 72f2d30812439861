"""PyTorch 1.13 twin of Neuron's lstm and gru, for test/reference/pytorch-recurrent.test.ts.

Reads a list of cases as JSON on stdin (each: (layer, sizes, dtype, the input batch, the target, the weights
under their PyTorch names)), and prints a list as JSON, per case: torch.nn.LSTM / GRU's output, the mse loss,
the gradient of every weight, and the output after one SGD step. The weights are loaded twice:
into the cell module (torch.nn.LSTMCell / GRUCell) under the names exactly as Neuron writes
them, strictly, and into the sequence module (torch.nn.LSTM / GRU), which adds `_l0`.
"""
import json
import sys

import torch


def run(case):
    dtype = torch.float64 if case["dtype"] == "float64" else torch.float32
    layer, d, h = case["layer"], case["inputWidth"], case["hidden"]
    batch, steps, sequences = case["batch"], case["steps"], case["sequences"]
    weights = {name: torch.tensor(values, dtype=dtype).reshape(case["shapes"][name]) for name, values in case["weights"].items()}

    cell = (torch.nn.LSTMCell if layer == "lstm" else torch.nn.GRUCell)(d, h).to(dtype)
    cell.load_state_dict(weights, strict=True)

    net = (torch.nn.LSTM if layer == "lstm" else torch.nn.GRU)(d, h, batch_first=True).to(dtype)
    net.load_state_dict({f"{name}_l0": value for name, value in weights.items()}, strict=True)

    x = torch.tensor(case["x"], dtype=dtype).reshape(batch, steps, d)
    target = torch.tensor(case["target"], dtype=dtype)

    def forward():
        out, _ = net(x)
        y = out if sequences else out[:, -1, :]
        return y.reshape(-1)

    # The cell, stepped by hand, must agree with the sequence module: the names mean the same.
    state = None
    for t in range(steps):
        state = cell(x[:, t, :], state)
    last = state[0] if layer == "lstm" else state
    assert torch.allclose(last, net(x)[0][:, -1, :], rtol=1e-4, atol=1e-6), "cell and sequence module disagree"

    y = forward()
    loss = torch.nn.functional.mse_loss(y, target)
    loss.backward()
    grads = {name[: -len("_l0")]: p.grad.reshape(-1).tolist() for name, p in net.named_parameters()}
    with torch.no_grad():
        for p in net.parameters():
            p -= case["lr"] * p.grad
        after = forward()

    return {"y": y.detach().tolist(), "loss": loss.item(), "grads": grads, "after": after.tolist()}


json.dump([run(case) for case in json.load(sys.stdin)], sys.stdout)
