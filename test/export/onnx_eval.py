"""Checks ONNX files with onnx.checker and runs them with numpy, written from the ONNX operator
specifications for the ops nnc export emits (onnx 1.12 has no reference evaluator, and
Python's onnxruntime is not installed; onnxruntime.test.ts runs the same models with
onnxruntime-node): an evaluator independent of Neuron, PyTorch and onnxruntime.

usage: python3 onnx_eval.py JOBS.json   (a list of [model.onnx, inputs.json, outputs.json])"""
import json
import math
import sys

import numpy as np
import onnx
from onnx import numpy_helper


def attrs(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def conv(x, w, b, strides, pads):
    x = np.pad(x, ((0, 0), (0, 0), (pads[0], pads[2]), (pads[1], pads[3])))
    n, c, h, wd = x.shape
    o, _, kh, kw = w.shape
    oh, ow = (h - kh) // strides[0] + 1, (wd - kw) // strides[1] + 1
    y = np.zeros((n, o, oh, ow), dtype=np.float64)
    for i in range(kh):
        for j in range(kw):
            patch = x[:, :, i : i + strides[0] * oh : strides[0], j : j + strides[1] * ow : strides[1]]
            y += np.einsum("nchw,oc->nohw", patch, w[:, :, i, j])
    return y if b is None else y + b[None, :, None, None]


def pool(x, k, s, reduce):
    n, c, h, w = x.shape
    oh, ow = (h - k[0]) // s[0] + 1, (w - k[1]) // s[1] + 1
    windows = [x[:, :, i : i + s[0] * oh : s[0], j : j + s[1] * ow : s[1]] for i in range(k[0]) for j in range(k[1])]
    return reduce(np.stack(windows), axis=0)


def softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def run_node(op, ins, a):
    if op == "Identity":
        return ins[0]
    if op == "Transpose":
        return np.transpose(ins[0], a["perm"])
    if op == "MatMul":
        return np.matmul(ins[0], ins[1])
    if op in ("Add", "Sub", "Mul", "Div"):
        return {"Add": np.add, "Sub": np.subtract, "Mul": np.multiply, "Div": np.divide}[op](ins[0], ins[1])
    if op == "Conv":
        return conv(ins[0], ins[1], ins[2] if len(ins) > 2 else None, a["strides"], a["pads"])
    if op == "MaxPool":
        return pool(ins[0], a["kernel_shape"], a["strides"], np.max)
    if op == "AveragePool":
        return pool(ins[0], a["kernel_shape"], a["strides"], np.mean)
    if op == "Flatten":
        return ins[0].reshape(ins[0].shape[0], -1)
    if op == "Reshape":
        shape = [ins[0].shape[i] if d == 0 else d for i, d in enumerate(ins[1].astype(int))]
        return ins[0].reshape(shape)
    if op == "Unsqueeze":
        return np.expand_dims(ins[0], tuple(int(d) for d in ins[1]))
    if op == "Gather":
        return np.take(ins[0], ins[1].astype(int), axis=a.get("axis", 0))
    if op == "Slice":
        starts, ends = ins[1].astype(int), ins[2].astype(int)
        axes = ins[3].astype(int) if len(ins) > 3 else range(len(starts))
        steps = ins[4].astype(int) if len(ins) > 4 else [1] * len(starts)
        index = [slice(None)] * ins[0].ndim
        for s, e, ax, st in zip(starts, ends, axes, steps):
            index[ax] = slice(s, e, st)
        return ins[0][tuple(index)]
    if op == "Expand":
        return ins[0] * np.ones(ins[1].astype(int))
    if op == "ReduceSum":
        # opset 13+: the axes are an input.
        return ins[0].sum(axis=tuple(int(d) for d in ins[1]), keepdims=bool(a.get("keepdims", 1)))
    if op == "Neg":
        return -ins[0]
    if op == "Greater":
        return ins[0] > ins[1]
    if op == "Cast":
        assert a["to"] == onnx.TensorProto.FLOAT, a["to"]
        return ins[0].astype(np.float64)
    if op == "Clip":
        return np.clip(ins[0], ins[1], ins[2])
    if op == "RandomUniformLike":
        # A draw of our own: spikes agree with Neuron's only where the probabilities are 0 or 1.
        return np.random.default_rng(0).uniform(a.get("low", 0.0), a.get("high", 1.0), ins[0].shape)
    if op == "Less":
        return ins[0] < ins[1]
    if op == "Concat":
        return np.concatenate(ins, axis=a["axis"])
    if op == "BatchNormalization":
        x, g, b, m, v = ins
        shape = (1, -1) + (1,) * (x.ndim - 2)
        return (x - m.reshape(shape)) / np.sqrt(v.reshape(shape) + a["epsilon"]) * g.reshape(shape) + b.reshape(shape)
    if op == "LayerNormalization":
        x = ins[0]
        m = x.mean(axis=-1, keepdims=True)
        v = ((x - m) ** 2).mean(axis=-1, keepdims=True)
        return (x - m) / np.sqrt(v + a["epsilon"]) * ins[1] + ins[2]
    if op == "ReduceMean":
        return ins[0].mean(axis=tuple(a["axes"]), keepdims=bool(a.get("keepdims", 1)))
    if op == "Sqrt":
        return np.sqrt(ins[0])
    if op == "Relu":
        return np.maximum(ins[0], 0)
    if op == "LeakyRelu":
        return np.where(ins[0] >= 0, ins[0], a.get("alpha", 0.01) * ins[0])
    if op == "Sigmoid":
        return 1 / (1 + np.exp(-ins[0]))
    if op == "Tanh":
        return np.tanh(ins[0])
    if op == "Softmax":
        return softmax(ins[0], a.get("axis", -1))
    if op == "Erf":
        return np.vectorize(math.erf)(ins[0])
    if op == "Elu":
        return np.where(ins[0] > 0, ins[0], a.get("alpha", 1.0) * (np.exp(ins[0]) - 1))
    if op == "Softplus":
        return np.log1p(np.exp(ins[0]))
    raise ValueError("no evaluator for ONNX op " + op)


def run(path, inputs):
    model = onnx.load(path)
    onnx.checker.check_model(model, full_check=True)
    assert model.ir_version == 8, model.ir_version
    assert [o.version for o in model.opset_import] == [17]
    values = {t.name: numpy_helper.to_array(t).astype(np.float64) for t in model.graph.initializer}
    for i in model.graph.input:
        dims = i.type.tensor_type.shape.dim
        assert dims[0].dim_param == "N", "the batch dimension is symbolic"
        values[i.name] = np.array(inputs[i.name], dtype=np.float64).reshape([-1] + [d.dim_value for d in dims[1:]])
    for node in model.graph.node:
        values[node.output[0]] = run_node(node.op_type, [values[n] for n in node.input], attrs(node))
    return {o.name: values[o.name].flatten().tolist() for o in model.graph.output}


for model_path, inputs_path, outputs_path in json.load(open(sys.argv[1])):
    with open(outputs_path, "w") as f:
        json.dump(run(model_path, json.load(open(inputs_path))), f)
