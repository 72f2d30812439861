# One PyTorch benchmark process, the twin of bench/worker.ts: one twin (twins.py), one thread
# count. Reads the data the Node side wrote (bench/torch.ts: the same samples, cut into the same
# full batches), measures single-sample latency and training samples/s at each batch size
# after a warm-up, and prints one JSON line on stdout. `"mode": "check"` instead loads Neuron's
# weights into each twin listed and prints the losses of one step, for
# test/bench/torch-twins.test.ts.
#
#   /usr/bin/python3 bench/pytorch/bench_twin.py '{"mode": "bench", "model": "mnist_mlp", ...}'
import json
import os
import sys
import time

import numpy as np
import torch

from twins import twins

DTYPES = {"float32": np.float32, "float64": np.float64, "int32": np.int32}


def read_columns(directory, part, dtype):
    """Every column of `part` as a tensor [count, *shape]: floats in `dtype`, labels int64."""
    with open(os.path.join(directory, "manifest.json")) as f:
        manifest = json.load(f)
    count = manifest[part]
    columns = {}
    for name, column in manifest["columns"].items():
        values = np.fromfile(os.path.join(directory, f"{part}.{name}.bin"), dtype=DTYPES[column["dtype"]])
        tensor = torch.from_numpy(values.reshape(count, *column["shape"]))
        columns[name] = tensor.long() if column["dtype"] == "int32" else tensor.to(dtype)
    weights = {
        name: np.fromfile(os.path.join(directory, f"weight.{name}.bin"), dtype=np.float64).reshape(shape)
        for name, shape in manifest.get("weights", {}).items()
    }
    return count, columns, weights


def full_batches(count, columns, size):
    """As bench/data.ts cuts them: in order, full batches only."""
    return [{name: c[start:start + size] for name, c in columns.items()} for start in range(0, count - size + 1, size)]


def measure_latency(twin, model, sample, budget):
    model.eval()
    times = []
    with torch.no_grad():
        for _ in range(budget["latencyWarmupCalls"]):
            twin.forward(model, sample).numpy()
        end = time.perf_counter() + budget["latencySeconds"]
        while time.perf_counter() < end or len(times) < 10:
            start = time.perf_counter()
            twin.forward(model, sample).numpy()  # read back, as the Node systems do
            times.append(time.perf_counter() - start)
    times.sort()
    return times[len(times) // 2] * 1000


def train_step(twin, model, optimizer, batch):
    optimizer.zero_grad(set_to_none=True)
    loss = twin.loss(twin.forward(model, batch), batch[twin.target])
    loss.backward()
    optimizer.step()
    return loss.item()


def measure_training(twin, batches, size, budget):
    model = twin.build()
    model.train()
    optimizer = twin.optimizer(model)
    warmup_end = time.perf_counter() + budget["warmupSeconds"]
    for batch in batches:
        train_step(twin, model, optimizer, batch)
        if time.perf_counter() > warmup_end:
            break
    steps, last_loss = 0, float("nan")
    start = time.perf_counter()
    end = start + budget["measureSeconds"]
    while time.perf_counter() < end or steps < budget["minimumSteps"]:
        last_loss = train_step(twin, model, optimizer, batches[steps % len(batches)])
        steps += 1
    seconds = time.perf_counter() - start
    return {"batch": size, "samplesPerSecond": steps * size / seconds, "steps": steps, "seconds": seconds, "lastLoss": last_loss}


def bench(task):
    twin = twins[task["model"]]
    count, columns, _ = read_columns(task["dataDir"], "train", torch.float32)
    _, sample, _ = read_columns(task["dataDir"], "latency", torch.float32)
    result = {"latencyMs": measure_latency(twin, twin.build(), sample, task["budget"]), "training": []}
    for size in task["batches"]:
        result["training"].append(measure_training(twin, full_batches(count, columns, size), size, task["budget"]))
    return result


def check(task, dtype):
    """Neuron's weights, one batch: the loss in eval mode, of one training step, and in eval mode after it."""
    twin = twins[task["model"]]
    count, columns, weights = read_columns(task["dataDir"], "train", dtype)
    model = twin.build().to(dtype)
    twin.load(model, weights)
    optimizer = twin.optimizer(model)

    def eval_loss():
        model.eval()
        with torch.no_grad():
            return twin.loss(twin.forward(model, columns), columns[twin.target]).item()

    before = eval_loss()
    model.train()
    step = train_step(twin, model, optimizer, columns)
    return {"evalLoss": before, "trainLoss": step, "evalLossAfter": eval_loss()}


def main():
    task = json.loads(sys.argv[1])
    threads = task.get("threads", 1)
    torch.set_num_threads(threads)
    torch.manual_seed(task.get("seed", 1))
    if task["mode"] == "check":
        dtype = torch.float64 if task["dtype"] == "float64" else torch.float32
        result = {"checks": [check(each, dtype) for each in task["checks"]]}
    else:
        result = bench(task)
    result.update({"torch": torch.__version__, "threads": torch.get_num_threads()})
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
