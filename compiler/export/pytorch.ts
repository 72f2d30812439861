// `nnc export --format pytorch`: a checked model as a readable, standalone PyTorch module.
//
// Layout: every tensor keeps Neuron's per-sample layout with the batch first ([N, H, W, C]
// for images, channels last); convolutions, pools and normalisations over channels move the
// channel axis to PyTorch's place and back around PyTorch's own layer. So `flatten` orders
// features (h, w, c) as in Neuron, and a Neuron checkpoint loads with `load_state_dict` as
// it is (module paths are the checkpoint names) and gives the same outputs.
//
// All text taken from the .nn file goes through python-text.ts.

import type { GraphNode, LossTerm, ModelGraph, OptimizerSpec } from "../graph.js";
import { ExportError } from "./export-error.js";
import { analyseLayout } from "./torch-layout.js";
import { isPyIdentifier, pyComment, pyIdentifier, pyNumber, pyString } from "./python-text.js";

export interface PytorchExport {
  /** model.py: the module, its loss, its optimizer, and the checkpoint reader and writer. */
  model: string;
  /** train.py: a DistributedDataParallel training script that imports model.py. */
  train: string;
}

/** The names nn.Module itself uses, which a layer attribute must not shadow. */
const MODULE_ATTRIBUTES = new Set(
  (
    "training forward state_dict load_state_dict parameters named_parameters buffers named_buffers children modules " +
    "named_modules train eval to cuda cpu float double half zero_grad apply register_buffer register_parameter add_module " +
    "get_submodule get_parameter requires_grad_ extra_repr type dump_patches call_super_init loss n self torch nn F"
  ).split(" "),
);

interface Emitted {
  /** The module's constructor expression, for a node that owns weights. */
  module?: string;
  /** The forward expression, from the input expressions and the module expression `m`. */
  forward(inputs: string[], m: string): string;
}

type OpExport = (node: GraphNode, graph: ModelGraph) => Emitted;

function num(node: GraphNode, name: string): number {
  const v = node.args[name];
  if (typeof v !== "number") throw new ExportError(`line ${node.source.line}: '${node.op}' has no number '${name}'`);
  return v;
}

function inputShape(node: GraphNode, graph: ModelGraph, i = 0): number[] {
  return graph.nodes[node.inputs[i]!]!.type.shape;
}

function hasBias(node: GraphNode): boolean {
  return node.params.some((p) => p.name.endsWith(".bias"));
}

/** Applies a channels-first PyTorch call to a channels-last tensor: channels to axis 1 and back. */
function channelsFirst(call: (x: string) => string, rank: number): (x: string) => string {
  return rank <= 1 ? call : (x) => `${call(`${x}.movedim(-1, 1)`)}.movedim(1, -1)`;
}

const fn =
  (name: string, extra: (node: GraphNode) => string = () => ""): OpExport =>
  (node) => ({ forward: ([x]) => `${name}(${x}${extra(node)})` });

const elementwise = (symbol: string): OpExport => (node, graph) => ({
  forward([a, b]) {
    // Neuron broadcasts a shorter per-sample shape over the leading axes ([T, D] with [D]);
    // with the batch axis first, PyTorch needs the shorter one's missing axes after it.
    const ra = inputShape(node, graph, 0).length;
    const rb = inputShape(node, graph, 1).length;
    const widen = (x: string, k: number): string => (k > 0 ? `${x}[:, ${Array(k).fill("None").join(", ")}]` : x);
    return `${widen(a!, rb - ra)} ${symbol} ${widen(b!, ra - rb)}`;
  },
});

const exporters: Readonly<Record<string, OpExport>> = {
  dense: (node, graph) => ({
    module: `nn.Linear(${inputShape(node, graph).at(-1)}, ${num(node, "units")}, bias=${hasBias(node) ? "True" : "False"})`,
    forward: ([x], m) => `${m}(${x})`,
  }),
  conv2d: (node, graph) => {
    const padding = node.args.padding === "same" ? `"same"` : "0";
    return {
      module: `nn.Conv2d(${inputShape(node, graph)[2]}, ${num(node, "filters")}, ${num(node, "kernel")}, stride=${num(node, "stride")}, padding=${padding}, bias=${hasBias(node) ? "True" : "False"})`,
      forward: ([x], m) => `nhwc(${m}(nchw(${x})))`,
    };
  },
  max_pool2d: (node) => ({ forward: ([x]) => `nhwc(F.max_pool2d(nchw(${x}), ${num(node, "size")}, ${num(node, "stride")}))` }),
  avg_pool2d: (node) => ({ forward: ([x]) => `nhwc(F.avg_pool2d(nchw(${x}), ${num(node, "size")}, ${num(node, "stride")}))` }),
  flatten: () => ({ forward: ([x]) => `${x}.flatten(1)` }),
  reshape: (node) => ({ forward: ([x]) => `${x}.reshape(${x}.shape[0], ${node.type.shape.join(", ")})` }),
  identity: () => ({ forward: ([x]) => x! }),
  embedding: (node, graph) => ({
    module: `nn.Embedding(${graph.nodes[node.inputs[0]!]!.type.vocab}, ${num(node, "dim")})`,
    forward: ([x], m) => `${m}(${x}.long())`,
  }),
  positional: (node) => ({ module: `Positional(${num(node, "T")}, ${num(node, "D")})`, forward: (_x, m) => `${m}(n)` }),
  self_attention: (node) => ({
    module: `Attention(${node.type.shape[1]}, heads=${num(node, "heads")}, causal=${node.args.causal === true ? "True" : "False"})`,
    forward: ([x], m) => `${m}(${x}, ${x}, ${x})`,
  }),
  attention: (node) => ({
    module: `Attention(${node.type.shape[1]}, heads=${num(node, "heads")}, causal=${node.args.causal === true ? "True" : "False"})`,
    forward: ([q, k, v], m) => `${m}(${q}, ${k}, ${v})`,
  }),
  concat: (node) => ({ forward: ([a, b]) => `torch.cat([${a}, ${b}], dim=${num(node, "axis") + 1})` }),
  dropout: (node) => ({ forward: ([x]) => `F.dropout(${x}, ${pyNumber(num(node, "p"))}, self.training)` }),
  batch_norm: (node) => {
    const rank = node.type.shape.length;
    if (rank > 4) throw new ExportError(`line ${node.source.line}: 'batch_norm' of a rank-${rank} tensor has no PyTorch layer`);
    const kind = rank === 3 ? "2d" : rank === 4 ? "3d" : "1d";
    const c = node.type.shape.at(-1)!;
    return {
      module: `nn.BatchNorm${kind}(${c}, eps=${pyNumber(num(node, "eps"))}, momentum=${pyNumber(num(node, "momentum"))})`,
      forward: ([x], m) => channelsFirst((y) => `${m}(${y})`, rank)(x!),
    };
  },
  layer_norm: (node) => ({
    module: `nn.LayerNorm(${node.type.shape.at(-1)}, eps=${pyNumber(num(node, "eps"))})`,
    forward: ([x], m) => `${m}(${x})`,
  }),
  group_norm: (node) => ({
    module: `nn.GroupNorm(${num(node, "groups")}, ${node.type.shape.at(-1)}, eps=${pyNumber(num(node, "eps"))})`,
    forward: ([x], m) => channelsFirst((y) => `${m}(${y})`, node.type.shape.length)(x!),
  }),
  relu: fn("F.relu"),
  leaky_relu: fn("F.leaky_relu", (node) => `, ${pyNumber(num(node, "alpha"))}`),
  sigmoid: fn("torch.sigmoid"),
  tanh: fn("torch.tanh"),
  softmax: fn("torch.softmax", () => ", -1"),
  gelu: fn("F.gelu"),
  silu: fn("F.silu"),
  elu: fn("F.elu", (node) => `, ${pyNumber(num(node, "alpha"))}`),
  softplus: fn("F.softplus"),
  mish: fn("F.mish"),
  add: elementwise("+"),
  sub: elementwise("-"),
  mul: elementwise("*"),
  scale: (node) => ({ forward: ([x]) => `${x} * ${pyNumber(num(node, "factor"))}` }),
  // nn.LSTMCell / nn.GRUCell hold Neuron's names (weight_ih, weight_hh, bias_ih, bias_hh; nn.LSTM
  // adds `_l0`), so the checkpoint loads as it is; the scan over T is a loop in `scan`.
  lstm: (node, graph) => ({
    module: `nn.LSTMCell(${inputShape(node, graph)[1]}, ${node.type.shape.at(-1)})`,
    forward: ([x], m) => `scan(${m}, ${x}, ${node.type.shape.length === 2 ? "True" : "False"}, lstm=True)`,
  }),
  gru: (node, graph) => ({
    module: `nn.GRUCell(${inputShape(node, graph)[1]}, ${node.type.shape.at(-1)})`,
    forward: ([x], m) => `scan(${m}, ${x}, ${node.type.shape.length === 2 ? "True" : "False"}, lstm=False)`,
  }),
  lif: (node) => {
    const learned = (name: string): string => (node.params.find((p) => p.name.endsWith(`.${name}`))?.trainable === true ? "True" : "False");
    const args = [
      `beta=${pyNumber(num(node, "beta"))}`,
      `threshold=${pyNumber(num(node, "threshold"))}`,
      `reset=${pyString(String(node.args.reset))}`,
      `surrogate=${pyString(String(node.args.surrogate))}`,
      `slope=${pyNumber(num(node, "slope"))}`,
      `alpha=${pyNumber(num(node, "alpha"))}`,
      `membrane=${node.args.membrane === true ? "True" : "False"}`,
      `learn_beta=${learned("beta")}`,
      `learn_threshold=${learned("threshold")}`,
    ];
    return { module: `Leaky(${args.join(", ")})`, forward: ([x], m) => `${m}(${x})` };
  },
  repeat: (node, graph) => ({
    forward: ([x]) => `${x}.unsqueeze(1).expand(-1, ${num(node, "steps")}${", -1".repeat(inputShape(node, graph).length)})`,
  }),
  // snnTorch's spikegen.rate: a fresh draw on every call, training or not; no gradient to x.
  rate_encode: (node, graph) => ({
    forward: ([x]) => `torch.bernoulli(${x}.clamp(0, 1).unsqueeze(1).expand(-1, ${num(node, "steps")}${", -1".repeat(inputShape(node, graph).length)}))`,
  }),
  sum_time: () => ({ forward: ([x]) => `${x}.sum(1)` }),
  mean_time: () => ({ forward: ([x]) => `${x}.mean(1)` }),
  last: () => ({ forward: ([x]) => `${x}[:, -1]` }),
};

/** The ops this exporter writes; every other op is refused with its line. */
export const pytorchOps: ReadonlySet<string> = new Set(Object.keys(exporters));

function refuse(file: string, node: { op: string; source: { line: number } }, target: string): never {
  throw new ExportError(`${file}:${node.source.line}: cannot export '${node.op}' to ${target}: it has no ${target} counterpart in nnc export yet; remove it or export another model`);
}

const HELPERS = `
def nchw(x):
    """[N, H, W, C] (Neuron's layout) -> [N, C, H, W] (PyTorch's)."""
    return x.permute(0, 3, 1, 2)


def nhwc(x):
    """[N, C, H, W] -> [N, H, W, C]."""
    return x.permute(0, 2, 3, 1)


class Positional(nn.Module):
    """A learned [T, D] table, the same for every sample."""

    def __init__(self, t, d):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(t, d).normal_(0, 0.02))

    def forward(self, n):
        return self.weight.expand(n, -1, -1)


class Attention(nn.Module):
    """Multi-head scaled dot-product attention with Neuron's q, k, v and out projections."""

    def __init__(self, d, heads, causal):
        super().__init__()
        self.heads, self.causal = heads, causal
        self.q, self.k, self.v, self.out = (nn.Linear(d, d) for _ in range(4))
        for p in (self.q, self.k, self.v):
            nn.init.xavier_uniform_(p.weight)
            nn.init.zeros_(p.bias)
        nn.init.zeros_(self.out.bias)

    def forward(self, q, k, v):
        n, tq, d = q.shape
        tk, h = k.shape[1], self.heads
        q = self.q(q).reshape(n, tq, h, d // h).transpose(1, 2)
        k = self.k(k).reshape(n, tk, h, d // h).transpose(1, 2)
        v = self.v(v).reshape(n, tk, h, d // h).transpose(1, 2)
        scores = q @ k.transpose(-1, -2) / math.sqrt(d // h)
        if self.causal:
            mask = torch.ones(tq, tk, dtype=torch.bool, device=q.device).triu(1)
            scores = scores.masked_fill(mask, float("-inf"))
        y = torch.softmax(scores, dim=-1) @ v
        return self.out(y.transpose(1, 2).reshape(n, tq, d))


def scan(cell, x, sequences, lstm):
    """An nn.LSTMCell or nn.GRUCell over x [N, T, D] from a zero state: every h_t [N, T, H] or the last [N, H]."""
    h = x.new_zeros(x.shape[0], cell.hidden_size)
    state = (h, h) if lstm else h
    steps = []
    for t in range(x.shape[1]):
        state = cell(x[:, t], state)
        h = state[0] if lstm else state
        steps.append(h)
    return torch.stack(steps, 1) if sequences else h


class Spike(torch.autograd.Function):
    """H(v) = 1 for v > 0 else 0, with the surrogate's derivative in place of its own."""

    @staticmethod
    def forward(ctx, v, surrogate, slope, alpha):
        ctx.save_for_backward(v)
        ctx.surrogate, ctx.slope, ctx.alpha = surrogate, slope, alpha
        return (v > 0).to(v.dtype)

    @staticmethod
    def backward(ctx, grad):
        (v,) = ctx.saved_tensors
        if ctx.surrogate == "atan":
            return grad * (ctx.alpha / 2) / (1 + (math.pi / 2 * ctx.alpha * v) ** 2), None, None, None
        return grad / (1 + ctx.slope * v.abs()) ** 2, None, None, None


class Leaky(nn.Module):
    """snnTorch's Leaky over x [N, T, ...] from a zero membrane: spikes S (or the membrane U) [N, T, ...].
    R[t] = H(U[t-1] - threshold), detached; U[t] = clamp(beta, 0, 1) U[t-1] + I[t] - R[t] threshold
    (reset "subtract"), (1 - R[t]) clamp(beta, 0, 1) U[t-1] + I[t] ("zero") or no reset ("none")."""

    def __init__(self, beta, threshold, reset, surrogate, slope, alpha, membrane, learn_beta, learn_threshold):
        super().__init__()
        self.reset, self.surrogate, self.slope, self.alpha, self.membrane = reset, surrogate, slope, alpha, membrane
        for name, value, learn in (("beta", beta, learn_beta), ("threshold", threshold, learn_threshold)):
            t = torch.tensor([float(value)])
            if learn:
                self.register_parameter(name, nn.Parameter(t))
            else:
                self.register_buffer(name, t)

    def forward(self, x):
        beta, theta = self.beta.clamp(0, 1), self.threshold
        u = torch.zeros_like(x[:, 0])
        steps = []
        for t in range(x.shape[1]):
            r = (u - theta > 0).to(x.dtype).detach()
            if self.reset == "subtract":
                u = beta * u + x[:, t] - r * theta
            elif self.reset == "zero":
                u = (1 - r) * beta * u + x[:, t]
            else:
                u = beta * u + x[:, t]
            steps.append(u if self.membrane else Spike.apply(u - theta, self.surrogate, self.slope, self.alpha))
        return torch.stack(steps, 1)


def load_tensors(path):
    """Every tensor of a safetensors file by name (read without the safetensors package where it is absent)."""
    try:
        from safetensors.torch import load_file
    except ImportError:
        load_file = None
    if load_file is not None:
        return load_file(path)
    with open(path, "rb") as f:
        data = f.read()
    size = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8 : 8 + size])
    dtypes = {"F32": torch.float32, "F64": torch.float64, "I64": torch.int64, "I32": torch.int32, "U32": torch.int32, "U8": torch.uint8}
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        begin, end = entry["data_offsets"]
        dtype = dtypes[entry["dtype"]]
        raw = bytearray(data[8 + size + begin : 8 + size + end])
        t = torch.frombuffer(raw, dtype=dtype) if raw else torch.empty(0, dtype=dtype)
        tensors[name] = t.reshape(entry["shape"])
    return tensors


def read_metadata(path):
    """The __metadata__ of a safetensors file."""
    with open(path, "rb") as f:
        size = struct.unpack("<Q", f.read(8))[0]
        return json.loads(f.read(size)).get("__metadata__", {})


def load_weights(path):
    """A Neuron checkpoint or weights file as this module's state_dict."""
    meta = read_metadata(path)
    if FLATTENS_IMAGE and (meta.get("layout") == "pytorch" or ("layout" not in meta and meta.get("format") == "pt")):
        # A channels-first model's flatten orders features (c, h, w); this module's, Neuron's, (h, w, c).
        raise ValueError(path + ": written by a channels-first PyTorch model, whose flatten order differs; convert it: nnc train MODEL.nn --steps 0 --init " + path + " --from pytorch --save CONVERTED.safetensors")
    # Optimizer and generator state of a Neuron checkpoint are not the module's.
    return {k: v.float() for k, v in load_tensors(path).items() if not k.startswith(("optimizer.", "rng."))}


def save_weights(model, path):
    """The module's weights in Neuron's names and layout, for nnc eval/predict --weights or nnc train --init."""
    state = {k: v.detach().float().contiguous().cpu() for k, v in model.state_dict().items() if not k.endswith("num_batches_tracked")}
    metadata = {"layout": "neuron", "model": MODEL_NAME, "dtype": "float32"}
    try:
        from safetensors.torch import save_file
    except ImportError:
        save_file = None
    if save_file is not None:
        save_file(state, path, metadata=metadata)
        return
    header, offset, blobs = {"__metadata__": metadata}, 0, []
    for name in sorted(state):
        blob = state[name].numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(state[name].shape), "data_offsets": [offset, offset + len(blob)]}
        offset += len(blob)
        blobs.append(blob)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path + ".tmp", "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))
    os.replace(path + ".tmp", path)
`;

interface ModuleTree {
  children: Map<string, ModuleTree>;
  leaf?: string;
}

function moduleTreeText(tree: ModuleTree, indent: string): string {
  if (tree.leaf !== undefined) return tree.leaf;
  const inner = [...tree.children].map(([key, child]) => `${indent}    ${pyString(key)}: ${moduleTreeText(child, `${indent}    `)},`);
  return `nn.ModuleDict({\n${inner.join("\n")}\n${indent}})`;
}

function lossExpression(loss: LossTerm, graph: ModelGraph, prediction: string, target: string, file: string): string {
  const shape = graph.nodes[loss.prediction]!.type.shape;
  const classes = shape.at(-1)!;
  switch (loss.op) {
    case "softmax_cross_entropy":
      return `F.cross_entropy(${prediction}.reshape(-1, ${classes}), ${target}.reshape(-1).long())`;
    case "softmax_cross_entropy_sum_time":
      // Time is axis 1 (after the batch): cross-entropy at each step, summed over the steps.
      return `sum(F.cross_entropy(${prediction}[:, s].reshape(-1, ${classes}), ${target}.reshape(-1).long()) for s in range(${prediction}.shape[1]))`;
    case "binary_cross_entropy":
      return `F.binary_cross_entropy(${prediction}, ${target})`;
    case "mse":
      return `F.mse_loss(${prediction}, ${target})`;
    case "cross_entropy":
      // Probabilities, not logits: -sum t log p over the last axis, averaged over the rest.
      return `-(${target} * torch.log(${prediction}).clamp(min=-100)).sum() / (${prediction}.numel() // ${classes})`;
    default:
      throw new ExportError(`${file}:${loss.source.line}: cannot export loss '${loss.op}' to PyTorch: it has no PyTorch counterpart in nnc export yet`);
  }
}

function optimizerText(spec: OptimizerSpec, line: (s: string) => void, file: string): void {
  const a = spec.args;
  const n = (k: string): string => pyNumber(Number(a[k] ?? 0));
  const bool = (k: string): string => (a[k] === true ? "True" : "False");
  const params = "model.parameters()";
  switch (spec.name) {
    case "sgd":
      line(`    optimizer = torch.optim.SGD(${params}, lr=${n("lr")}, momentum=${n("momentum")}, nesterov=${bool("nesterov")}, weight_decay=${n("weight_decay")})`);
      break;
    case "adam":
    case "adamw":
      line(
        `    optimizer = torch.optim.${spec.name === "adam" ? "Adam" : "AdamW"}(${params}, lr=${n("lr")}, betas=(${n("beta1")}, ${n("beta2")}), eps=${n("eps")}, weight_decay=${n("weight_decay")})`,
      );
      break;
    case "rmsprop":
      line(`    optimizer = torch.optim.RMSprop(${params}, lr=${n("lr")}, alpha=${n("decay")}, eps=${n("eps")}, momentum=${n("momentum")}, weight_decay=${n("weight_decay")})`);
      break;
    default:
      throw new ExportError(`${file}: cannot export optimizer '${spec.name}' to PyTorch: it has no PyTorch counterpart in nnc export yet`);
  }
  const s = spec.schedule;
  switch (s.name) {
    case "constant":
      line("    factor = lambda step: 1.0");
      break;
    case "step":
      line(`    factor = lambda step: ${pyNumber(s.args.gamma ?? 0.1)} ** (step // ${pyNumber(s.args.every ?? 1)})`);
      break;
    case "cosine": {
      const w = pyNumber(s.args.warmup ?? 0);
      line(`    factor = lambda step: step / ${w} if step < ${w} else 0.5 * (1 + math.cos(math.pi * min(1.0, (step - ${w}) / max(1, total_steps - ${w}))))`);
      break;
    }
    default:
      throw new ExportError(`${file}: cannot export schedule '${s.name}' to PyTorch: it has no PyTorch counterpart in nnc export yet`);
  }
  line("    return optimizer, torch.optim.lr_scheduler.LambdaLR(optimizer, factor)");
}

/** `moduleName`: what train.py imports (the module file's name without .py). */
export function exportPytorch(graph: ModelGraph, file: string, moduleName = "model"): PytorchExport {
  const out: string[] = [];
  const line = (s: string): void => void out.push(s);
  const className = pyIdentifier(graph.name, new Set(), new Set([...MODULE_ATTRIBUTES, "Positional", "Attention", "Spike", "Leaky", "MODEL_NAME"]));

  // Modules, by checkpoint path.
  const root: ModuleTree = { children: new Map() };
  const emitted = new Map<number, Emitted>();
  for (const node of graph.nodes) {
    if (node.op === "input") continue;
    const exporter = exporters[node.op];
    if (exporter === undefined) refuse(file, node, "PyTorch");
    let e: Emitted;
    try {
      e = exporter(node, graph);
    } catch (error) {
      if (error instanceof ExportError) throw new ExportError(`${file}:${error.message.replace(/^line /, "")}`);
      throw error;
    }
    emitted.set(node.id, e);
    if (e.module === undefined) continue;
    if (node.params.length === 0) throw new ExportError(`${file}:${node.source.line}: internal error: '${node.op}' has a module but no weights`);
    const path = node.params[0]!.name.split(".").slice(0, node.op.includes("attention") ? -2 : -1);
    let at = root;
    for (const part of path) {
      if (at.leaf !== undefined) throw new ExportError(`${file}:${node.source.line}: weights '${node.params[0]!.name}' nest inside another layer's`);
      let next = at.children.get(part);
      if (next === undefined) at.children.set(part, (next = { children: new Map() }));
      at = next;
    }
    at.leaf = e.module;
  }

  const access = new Map<string, string>();
  const rootAttr = (key: string): string => (isPyIdentifier(key, MODULE_ATTRIBUTES) ? `self.${key}` : `getattr(self, ${pyString(key)})`);

  line(pyComment(`Generated by \`nnc export --format pytorch\` from ${file}, model ${graph.name}.`));
  line("# Tensors keep Neuron's layout, batch first and channels last ([N, H, W, C]); convolutions and pools");
  line("# permute to PyTorch's NCHW and back, so a Neuron checkpoint loads as it is and gives the same outputs.");
  line("# Load weights:  model.load_state_dict(load_weights(\"model.safetensors\"))");
  line("#   (or safetensors.torch.load_file(\"model.safetensors\") where the safetensors package is installed)");
  line("import json");
  line("import math");
  line("import os");
  line("import struct");
  line("");
  line("import torch");
  line("import torch.nn.functional as F");
  line("from torch import nn");
  line("");
  line(`MODEL_NAME = ${pyString(graph.name)}`);
  line(`INPUTS = {${graph.inputs.map((i) => `${pyString(i.name)}: (${[...i.type.shape, ""].join(", ")})`).join(", ")}}`);
  line(`TARGETS = {${graph.targets.map((t) => `${pyString(t.name)}: (${[...t.type.shape, ""].join(", ")})`).join(", ")}}`);
  line(`OUTPUTS = [${graph.outputs.map((o) => pyString(o.name)).join(", ")}]`);
  line(`FLATTENS_IMAGE = ${analyseLayout(graph).sites.length > 0 ? "True" : "False"}`);
  line(HELPERS);
  line("");
  line(`class ${className}(nn.Module):`);
  line(`    ${pyString(`${graph.name}, from ${file}.`)}`);
  line("");
  line("    def __init__(self):");
  line("        super().__init__()");
  if (root.children.size === 0) line("        pass");
  for (const [key, child] of root.children) {
    const text = moduleTreeText(child, "        ");
    if (isPyIdentifier(key, MODULE_ATTRIBUTES)) line(`        self.${key} = ${text}`);
    else line(`        self.add_module(${pyString(key)}, ${text})`);
  }
  for (const node of graph.nodes) {
    const e = emitted.get(node.id);
    if (e?.module === undefined) continue;
    const path = node.params[0]!.name.split(".").slice(0, node.op.includes("attention") ? -2 : -1);
    access.set(String(node.id), rootAttr(path[0]!) + path.slice(1).map((p) => `[${pyString(p)}]`).join(""));
  }

  line("");
  line("    def load_state_dict(self, state_dict, strict=True):");
  line(`        ${pyString("Also takes a whole Neuron checkpoint: its optimizer.* and rng.* entries are not the module's.")}`);
  line("        state = {k: v for k, v in state_dict.items() if not k.startswith((\"optimizer.\", \"rng.\"))}");
  line("        return super().load_state_dict(state, strict)");

  // forward
  const taken = new Set<string>(["self", "n", "outputs", ...MODULE_ATTRIBUTES]);
  const inputNames = graph.inputs.map((i) => pyIdentifier(i.name, taken));
  line("");
  line(`    def forward(self, ${inputNames.join(", ")}):`);
  line(`        ${pyString("Batched inputs, Neuron's layout; returns a dict of the outputs (and of any loss prediction that is not one).")}`);
  const value = new Map<number, string>();
  graph.inputs.forEach((input, i) => value.set(input.node, inputNames[i]!));
  line(`        n = ${inputNames[0] ?? "1"}.shape[0]`);
  let k = 0;
  for (const node of graph.nodes) {
    if (node.op === "input") continue;
    const e = emitted.get(node.id)!;
    const name = `h${k++}`;
    const inputs = node.inputs.map((i) => value.get(i)!);
    line(`        ${pyComment(`line ${node.source.line}: ${node.source.text}`)}`);
    if (node.op === "flatten" && graph.nodes[node.inputs[0]!]!.type.shape.length === 3) {
      line("        # An image [N, H, W, C] flattens to features in (h, w, c) order, Neuron's; nn.Flatten on NCHW gives (c, h, w).");
    }
    line(`        ${name} = ${e.forward(inputs, access.get(String(node.id)) ?? "")}`);
    value.set(node.id, name);
  }
  const returned = new Map<number, string>();
  for (const o of graph.outputs) returned.set(o.node, o.name);
  const entries = graph.outputs.map((o) => `${pyString(o.name)}: ${value.get(o.node)}`);
  graph.losses.forEach((loss, i) => {
    if (!returned.has(loss.prediction)) {
      const key = `loss_input_${i}`;
      returned.set(loss.prediction, key);
      entries.push(`${pyString(key)}: ${value.get(loss.prediction)}`);
    }
  });
  line(`        return {${entries.join(", ")}}`);

  // loss
  line("");
  line("");
  line("def loss(outputs, targets):");
  line(`    ${pyString("The loss the .nn file declares (the sum of its terms), each a mean as PyTorch's default.")}`);
  if (graph.losses.length === 0) line("    raise ValueError(\"the model declares no loss\")");
  else {
    const terms = graph.losses.map((l) => lossExpression(l, graph, `outputs[${pyString(returned.get(l.prediction)!)}]`, `targets[${pyString(l.target)}]`, file));
    line(`    return ${terms.join(" + ")}`);
  }
  line("");
  line("");
  line("def accuracy(outputs, targets):");
  line(`    ${pyString("(correct, count) as nnc eval counts them: argmax per position for softmax_cross_entropy, p > 0.5 for binary_cross_entropy.")}`);
  line("    correct, count = 0, 0");
  for (const l of graph.losses) {
    const p = `outputs[${pyString(returned.get(l.prediction)!)}]`;
    const t = `targets[${pyString(l.target)}]`;
    if (l.op === "softmax_cross_entropy") {
      line(`    correct += int((${p}.argmax(-1) == ${t}.long()).sum())`);
      line(`    count += ${t}.numel()`);
    } else if (l.op === "softmax_cross_entropy_sum_time") {
      line(`    correct += int((${p}.sum(1).argmax(-1) == ${t}.long()).sum())`);
      line(`    count += ${t}.numel()`);
    } else if (l.op === "binary_cross_entropy") {
      line(`    correct += int(((${p} > 0.5) == (${t} > 0.5)).sum())`);
      line(`    count += ${t}.numel()`);
    }
  }
  line("    return correct, count");
  line("");
  line("");
  line("def make_optimizer(model, total_steps):");
  line(`    ${pyString("The optimizer and learning-rate schedule the .nn file declares (the schedule counts optimizer steps).")}`);
  if (graph.optimizer === null) line("    raise ValueError(\"the model declares no optimizer\")");
  else optimizerText(graph.optimizer, line, file);
  line("");
  line("");
  line(`CLIP_NORM = ${pyNumber(Number(graph.optimizer?.args.clip_norm ?? 0))}`);
  line(`BATCH = ${graph.train.batch ?? 32}`);
  line(`EPOCHS = ${graph.train.epochs ?? 1}`);
  line(`SEED = ${graph.train.seed ?? 0}`);
  line(`Model = ${className}`);
  line("");
  return { model: out.join("\n"), train: trainScript(graph, file, moduleName) };
}

function trainScript(graph: ModelGraph, file: string, moduleName: string): string {
  if (!isPyIdentifier(moduleName)) throw new ExportError(`the module name '${moduleName}' is not a Python identifier; name the file e.g. model.py`);
  return `${pyComment(`Trains the module of model.py (${graph.name}, from ${file}) with DistributedDataParallel.`)}
#   torchrun --nproc_per_node N train.py --data DATA.safetensors --init W.safetensors --save OUT.safetensors
# DATA.safetensors holds one tensor per input and target of the model, samples first (see docs/interop.md);
# --init and --save are Neuron checkpoints, so \`nnc eval --weights OUT.safetensors\` reads the result.
import argparse
import os

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, TensorDataset
from torch.utils.data.distributed import DistributedSampler

import ${moduleName} as spec


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", required=True)
    parser.add_argument("--eval-data", help="data to report loss and accuracy on at the end (default --data)")
    parser.add_argument("--init", help="a Neuron checkpoint to start from")
    parser.add_argument("--save", help="write the trained weights here (a Neuron weights file)")
    parser.add_argument("--epochs", type=int, default=spec.EPOCHS)
    parser.add_argument("--batch", type=int, default=spec.BATCH, help="per process")
    parser.add_argument("--no-shuffle", action="store_true")
    parser.add_argument("--seed", type=int, default=spec.SEED, help="for the initial weights, dropout and the order of the samples")
    args = parser.parse_args()
    # The same seed gives the same run: the order of the samples and dropout's masks are drawn
    # from torch's generator (PyTorch's own, so not Neuron's draws).
    torch.manual_seed(args.seed)

    distributed = "WORLD_SIZE" in os.environ
    if distributed:
        dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
    rank = dist.get_rank() if distributed else 0
    device = torch.device(f"cuda:{int(os.environ.get('LOCAL_RANK', 0))}" if torch.cuda.is_available() else "cpu")

    model = spec.Model().to(device)
    if args.init:
        model.load_state_dict(spec.load_weights(args.init))
    net = DistributedDataParallel(model) if distributed else model

    def dataset(path):
        tensors = spec.load_tensors(path)
        names = list(spec.INPUTS) + list(spec.TARGETS)
        return TensorDataset(*(tensors[name] for name in names))

    def split(batch):
        batch = [t.to(device) for t in batch]
        k = len(spec.INPUTS)
        return batch[:k], dict(zip(spec.TARGETS, batch[k:]))

    data = dataset(args.data)
    sampler = DistributedSampler(data, shuffle=not args.no_shuffle, seed=args.seed) if distributed else None
    loader = DataLoader(data, batch_size=args.batch, sampler=sampler, shuffle=sampler is None and not args.no_shuffle)
    optimizer, schedule = spec.make_optimizer(model, args.epochs * len(loader))
    for epoch in range(args.epochs):
        if sampler is not None:
            sampler.set_epoch(epoch)
        net.train()
        total, samples = 0.0, 0
        for batch in loader:
            inputs, targets = split(batch)
            optimizer.zero_grad()
            loss = spec.loss(net(*inputs), targets)
            loss.backward()
            if spec.CLIP_NORM > 0:
                torch.nn.utils.clip_grad_norm_(model.parameters(), spec.CLIP_NORM)
            optimizer.step()
            schedule.step()
            total += float(loss) * len(batch[0])
            samples += len(batch[0])
        if rank == 0:
            print(f"epoch {epoch + 1}: loss {total / max(samples, 1):.6f}")

    if rank == 0:
        net.eval()
        loss_sum, samples, correct, count = 0.0, 0, 0, 0
        with torch.no_grad():
            for batch in DataLoader(dataset(args.eval_data or args.data), batch_size=args.batch):
                inputs, targets = split(batch)
                outputs = model(*inputs)
                loss_sum += float(spec.loss(outputs, targets)) * len(batch[0])
                samples += len(batch[0])
                c, k = spec.accuracy(outputs, targets)
                correct, count = correct + c, count + k
        accuracy = f"  accuracy {100 * correct / count:.2f}%" if count else ""
        print(f"eval: loss {loss_sum / max(samples, 1):.4f}{accuracy}  ({samples} samples)")
        if args.save:
            spec.save_weights(model, args.save)
    if distributed:
        dist.destroy_process_group()


if __name__ == "__main__":
    main()
`;
}
