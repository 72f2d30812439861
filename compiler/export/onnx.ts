// `nnc export --format onnx`: the inference graph of a checked model as an ONNX model (IR
// version 8, opset 17). Inputs and outputs keep Neuron's layout, batch first and channels
// last, with a symbolic batch dimension `N`; convolutions and pools transpose to ONNX's NCHW
// and back. Weights are initializers under their checkpoint names, in the checkpoint's
// layout; dense weights go through a Transpose node. Dropout is the identity and
// batch_norm uses its running statistics, as in `nnc predict`.

import type { GraphNode, ModelGraph, TensorType } from "../graph.js";
import { ExportError } from "./export-error.js";
import { ProtoWriter } from "./protobuf.js";

export const ONNX_IR_VERSION = 8;
export const ONNX_OPSET = 17;
const FLOAT = 1;
const INT64 = 7;

type Attr = number | number[] | string;

class GraphWriter {
  readonly nodes: ProtoWriter[] = [];
  readonly initializers: ProtoWriter[] = [];
  private count = 0;

  constructor(private readonly weights: ReadonlyMap<string, ArrayLike<number>>) {}

  fresh(hint: string): string {
    return `${hint}#${this.count++}`;
  }

  node(op: string, inputs: string[], attrs: Record<string, Attr> = {}, hint = op): string {
    const output = this.fresh(hint);
    const n = new ProtoWriter();
    for (const i of inputs) n.string(1, i);
    n.string(2, output).string(3, output).string(4, op);
    for (const [name, value] of Object.entries(attrs)) {
      const a = new ProtoWriter().string(1, name);
      if (typeof value === "string") a.bytes(4, new TextEncoder().encode(value)).int(20, 3);
      else if (Array.isArray(value)) a.packedInts(8, value).int(20, 7);
      else if (Number.isInteger(value) && !["epsilon", "alpha", "momentum"].includes(name)) a.int(3, value).int(20, 2);
      else a.float(2, value).int(20, 1);
      n.message(5, a);
    }
    this.nodes.push(n);
    return output;
  }

  constant(name: string, dims: readonly number[], values: ArrayLike<number>, type: "float" | "int64" = "float"): string {
    const t = new ProtoWriter().packedInts(1, dims).int(2, type === "float" ? FLOAT : INT64).string(8, name);
    if (type === "float") {
      const raw = new Uint8Array(values.length * 4);
      const view = new DataView(raw.buffer);
      for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i]!, true);
      t.bytes(9, raw);
    } else {
      const raw = new Uint8Array(values.length * 8);
      const view = new DataView(raw.buffer);
      for (let i = 0; i < values.length; i++) view.setBigInt64(i * 8, BigInt(values[i]!), true);
      t.bytes(9, raw);
    }
    this.initializers.push(t);
    return name;
  }

  ints(values: readonly number[]): string {
    return this.constant(this.fresh("shape"), [values.length], values, "int64");
  }

  scalar(value: number): string {
    return this.constant(this.fresh("const"), [], [value]);
  }

  weight(name: string, shape: readonly number[]): string {
    const data = this.weights.get(name);
    if (data === undefined) throw new ExportError(`no weights for '${name}'`);
    return this.constant(name, shape, data);
  }
}

function valueInfo(name: string, type: TensorType): ProtoWriter {
  const shape = new ProtoWriter().message(1, new ProtoWriter().string(2, "N"));
  for (const d of type.shape) shape.message(1, new ProtoWriter().int(1, d));
  const tensor = new ProtoWriter().int(1, type.kind === "int" ? INT64 : FLOAT).message(2, shape);
  return new ProtoWriter().string(1, name).message(2, new ProtoWriter().message(1, tensor));
}

function num(node: GraphNode, name: string): number {
  const v = node.args[name];
  if (typeof v !== "number") throw new ExportError(`'${node.op}' has no number '${name}'`);
  return v;
}

const NCHW = [0, 3, 1, 2];
const NHWC = [0, 2, 3, 1];

interface Ctx {
  g: GraphWriter;
  node: GraphNode;
  graph: ModelGraph;
  inputs: string[];
  param(suffix: string): string;
  hasParam(suffix: string): boolean;
}

function dense(c: Ctx, x: string, prefix: string): string {
  const w = c.g.node("Transpose", [c.param(`${prefix}weight`)], { perm: [1, 0] });
  const y = c.g.node("MatMul", [x, w]);
  return c.hasParam(`${prefix}bias`) ? c.g.node("Add", [y, c.param(`${prefix}bias`)]) : y;
}

/** Runs `body` on the tensor with its channel axis moved to 1 (rank = the per-sample rank). */
function channelsFirst(c: Ctx, x: string, rank: number, body: (y: string) => string): string {
  if (rank <= 1) return body(x);
  const to = [0, rank, ...Array.from({ length: rank - 1 }, (_, i) => i + 1)];
  const back = [0, ...Array.from({ length: rank - 1 }, (_, i) => i + 2), 1];
  return c.g.node("Transpose", [body(c.g.node("Transpose", [x], { perm: to }))], { perm: back });
}

function rankOf(c: Ctx, i = 0): number {
  return c.graph.nodes[c.node.inputs[i]!]!.type.shape.length;
}

const unary = (op: string, attrs: (n: GraphNode) => Record<string, Attr> = () => ({})) => (c: Ctx) => c.g.node(op, [c.inputs[0]!], attrs(c.node));

function elementwise(op: string) {
  return (c: Ctx): string => {
    const [a, b] = c.inputs as [string, string];
    const ra = rankOf(c, 0);
    const rb = rankOf(c, 1);
    const positional = (i: number): boolean => c.graph.nodes[c.node.inputs[i]!]!.op === "positional";
    // Neuron broadcasts a shorter per-sample shape over the leading axes; with the batch axis
    // first, ONNX needs the shorter one's missing axes right after it. A positional table
    // has no batch axis and broadcasts as it is.
    const widen = (x: string, k: number, unbatched: boolean): string =>
      k > 0 && !unbatched ? c.g.node("Unsqueeze", [x, c.g.ints(Array.from({ length: k }, (_, i) => i + 1))]) : x;
    return c.g.node(op, [widen(a, rb - ra, positional(0)), widen(b, ra - rb, positional(1))]);
  };
}

function gelu(c: Ctx, x: string): string {
  const erf = c.g.node("Erf", [c.g.node("Mul", [x, c.g.scalar(Math.SQRT1_2)])]);
  return c.g.node("Mul", [c.g.node("Mul", [x, c.g.scalar(0.5)]), c.g.node("Add", [erf, c.g.scalar(1)])]);
}

function attention(c: Ctx, q0: string, k0: string, v0: string): string {
  const d = c.node.type.shape[1]!;
  const tq = c.node.type.shape[0]!;
  const tk = c.graph.nodes[c.node.inputs[c.node.inputs.length - 1]!]!.type.shape[0]!;
  const h = num(c.node, "heads");
  const split = (x: string, t: number): string => c.g.node("Transpose", [c.g.node("Reshape", [x, c.g.ints([-1, t, h, d / h])])], { perm: [0, 2, 1, 3] });
  const q = split(dense(c, q0, "q."), tq);
  const k = split(dense(c, k0, "k."), tk);
  const v = split(dense(c, v0, "v."), tk);
  let scores = c.g.node("Mul", [c.g.node("MatMul", [q, c.g.node("Transpose", [k], { perm: [0, 1, 3, 2] })]), c.g.scalar(1 / Math.sqrt(d / h))]);
  if (c.node.args.causal === true) {
    const mask = new Float32Array(tq * tk);
    for (let i = 0; i < tq; i++) for (let j = i + 1; j < tk; j++) mask[i * tk + j] = -1e30;
    scores = c.g.node("Add", [scores, c.g.constant(c.g.fresh("causal_mask"), [tq, tk], mask)]);
  }
  const mixed = c.g.node("MatMul", [c.g.node("Softmax", [scores], { axis: -1 }), v]);
  const joined = c.g.node("Reshape", [c.g.node("Transpose", [mixed], { perm: [0, 2, 1, 3] }), c.g.ints([-1, tq, d])]);
  return dense(c, joined, "out.");
}

/** Step t of a batched sequence [N, T, ...]: [N, ...]. */
function step(c: Ctx, x: string, t: number): string {
  return c.g.node("Gather", [x, c.g.constant(c.g.fresh("t"), [], [t], "int64")], { axis: 1 });
}

/** Rows [from, to) of the last axis. */
function rows(c: Ctx, x: string, from: number, to: number): string {
  return c.g.node("Slice", [x, c.g.ints([from]), c.g.ints([to]), c.g.ints([-1])]);
}

/** Steps [N, ...] stacked on axis 1: [N, T, ...]. */
function stack(c: Ctx, steps: string[]): string {
  const one = c.g.ints([1]);
  return c.g.node("Concat", steps.map((s) => c.g.node("Unsqueeze", [s, one])), { axis: 1 });
}

/**
 * lstm and gru unrolled over their static T with PyTorch's equations and weights as they are
 * (no reordering into ONNX's LSTM/GRU gate order): the input side W_ih x + b_ih of every step
 * in one MatMul, then per step the hidden side and the gates. The state starts at zero, so
 * step 0 has no hidden product.
 */
function recurrent(c: Ctx, lstm: boolean): string {
  const [T] = c.graph.nodes[c.node.inputs[0]!]!.type.shape as [number];
  const H = c.node.type.shape.at(-1)!;
  const sequences = c.node.type.shape.length === 2;
  const xs = c.g.node("Add", [c.g.node("MatMul", [c.inputs[0]!, c.g.node("Transpose", [c.param("weight_ih")], { perm: [1, 0] })]), c.param("bias_ih")]);
  const whh = c.g.node("Transpose", [c.param("weight_hh")], { perm: [1, 0] });
  const bhh = c.param("bias_hh");
  const sigmoid = (x: string): string => c.g.node("Sigmoid", [x]);
  const tanh = (x: string): string => c.g.node("Tanh", [x]);
  const add = (a: string, b: string): string => c.g.node("Add", [a, b]);
  const mul = (a: string, b: string): string => c.g.node("Mul", [a, b]);
  let h: string | null = null;
  let cell: string | null = null;
  const outs: string[] = [];
  for (let t = 0; t < T; t++) {
    const xt = step(c, xs, t);
    const hs = h === null ? bhh : add(c.g.node("MatMul", [h, whh]), bhh);
    if (lstm) {
      const a = add(xt, hs);
      const [i, f, g, o] = [0, 1, 2, 3].map((k) => rows(c, a, k * H, (k + 1) * H)) as [string, string, string, string];
      const ig = mul(sigmoid(i), tanh(g));
      cell = cell === null ? ig : add(mul(sigmoid(f), cell), ig);
      h = mul(sigmoid(o), tanh(cell));
    } else {
      const r = sigmoid(add(rows(c, xt, 0, H), rows(c, hs, 0, H)));
      const z = sigmoid(add(rows(c, xt, H, 2 * H), rows(c, hs, H, 2 * H)));
      const n = tanh(add(rows(c, xt, 2 * H, 3 * H), mul(r, rows(c, hs, 2 * H, 3 * H))));
      // h = (1 - z) n + z h_prev = n + z (h_prev - n), with h_prev = 0 at step 0.
      h = add(n, mul(z, h === null ? c.g.node("Neg", [n]) : c.g.node("Sub", [h, n])));
    }
    outs.push(h);
  }
  return sequences ? stack(c, outs) : h!;
}

/** lif unrolled over its static T from a zero membrane, as compiler/ir/ops/lif.ts's forward kernel. */
function lif(c: Ctx): string {
  const T = c.node.type.shape[0]!;
  const beta = c.g.node("Clip", [c.param("beta"), c.g.scalar(0), c.g.scalar(1)]);
  const th = c.param("threshold");
  const fired = (u: string): string => c.g.node("Cast", [c.g.node("Greater", [c.g.node("Sub", [u, th]), c.g.scalar(0)])], { to: FLOAT });
  let u = c.g.node("Mul", [step(c, c.inputs[0]!, 0), c.g.scalar(0)]);
  const outs: string[] = [];
  for (let t = 0; t < T; t++) {
    const x = step(c, c.inputs[0]!, t);
    const decayed = c.g.node("Mul", [beta, u]);
    if (c.node.args.reset === "subtract") u = c.g.node("Sub", [c.g.node("Add", [decayed, x]), c.g.node("Mul", [fired(u), th])]);
    else if (c.node.args.reset === "zero") u = c.g.node("Add", [c.g.node("Mul", [c.g.node("Sub", [c.g.scalar(1), fired(u)]), decayed]), x]);
    else u = c.g.node("Add", [decayed, x]);
    outs.push(c.node.args.membrane === true ? u : fired(u));
  }
  return stack(c, outs);
}

function softplus(c: Ctx, x: string): string {
  return c.g.node("Softplus", [x]);
}

const exporters: Readonly<Record<string, (c: Ctx) => string>> = {
  dense: (c) => dense(c, c.inputs[0]!, ""),
  conv2d: (c) => {
    const k = num(c.node, "kernel");
    const total = c.node.args.padding === "same" ? k - 1 : 0;
    const [lo, hi] = [Math.floor(total / 2), total - Math.floor(total / 2)];
    const inputs = [c.g.node("Transpose", [c.inputs[0]!], { perm: NCHW }), c.param("weight")];
    if (c.hasParam("bias")) inputs.push(c.param("bias"));
    const y = c.g.node("Conv", inputs, { kernel_shape: [k, k], strides: [num(c.node, "stride"), num(c.node, "stride")], pads: [lo, lo, hi, hi] });
    return c.g.node("Transpose", [y], { perm: NHWC });
  },
  max_pool2d: (c) => pool(c, "MaxPool"),
  avg_pool2d: (c) => pool(c, "AveragePool"),
  flatten: (c) => c.g.node("Flatten", [c.inputs[0]!], { axis: 1 }),
  reshape: (c) => c.g.node("Reshape", [c.inputs[0]!, c.g.ints([-1, ...c.node.type.shape])]),
  identity: unary("Identity"),
  dropout: unary("Identity"),
  embedding: (c) => c.g.node("Gather", [c.param("weight"), c.inputs[0]!]),
  positional: (c) => c.g.node("Identity", [c.param("weight")]),
  self_attention: (c) => attention(c, c.inputs[0]!, c.inputs[0]!, c.inputs[0]!),
  attention: (c) => attention(c, c.inputs[0]!, c.inputs[1]!, c.inputs[2]!),
  concat: (c) => c.g.node("Concat", [c.inputs[0]!, c.inputs[1]!], { axis: num(c.node, "axis") + 1 }),
  batch_norm: (c) =>
    channelsFirst(c, c.inputs[0]!, c.node.type.shape.length, (y) =>
      c.g.node("BatchNormalization", [y, c.param("weight"), c.param("bias"), c.param("running_mean"), c.param("running_var")], { epsilon: num(c.node, "eps") }),
    ),
  layer_norm: (c) => c.g.node("LayerNormalization", [c.inputs[0]!, c.param("weight"), c.param("bias")], { axis: -1, epsilon: num(c.node, "eps") }),
  group_norm: (c) => {
    const ch = c.node.type.shape.at(-1)!;
    const groups = num(c.node, "groups");
    const x = c.g.node("Reshape", [c.inputs[0]!, c.g.ints([0, -1, groups, ch / groups])]);
    const mean = c.g.node("ReduceMean", [x], { axes: [1, 3], keepdims: 1 });
    const centred = c.g.node("Sub", [x, mean]);
    const variance = c.g.node("ReduceMean", [c.g.node("Mul", [centred, centred])], { axes: [1, 3], keepdims: 1 });
    const normed = c.g.node("Div", [centred, c.g.node("Sqrt", [c.g.node("Add", [variance, c.g.scalar(num(c.node, "eps"))])])]);
    const back = c.g.node("Reshape", [normed, c.g.ints([-1, ...c.node.type.shape])]);
    return c.g.node("Add", [c.g.node("Mul", [back, c.param("weight")]), c.param("bias")]);
  },
  relu: unary("Relu"),
  leaky_relu: unary("LeakyRelu", (n) => ({ alpha: num(n, "alpha") })),
  sigmoid: unary("Sigmoid"),
  tanh: unary("Tanh"),
  softmax: unary("Softmax", () => ({ axis: -1 })),
  gelu: (c) => gelu(c, c.inputs[0]!),
  silu: (c) => c.g.node("Mul", [c.inputs[0]!, c.g.node("Sigmoid", [c.inputs[0]!])]),
  elu: unary("Elu", (n) => ({ alpha: num(n, "alpha") })),
  softplus: (c) => softplus(c, c.inputs[0]!),
  mish: (c) => c.g.node("Mul", [c.inputs[0]!, c.g.node("Tanh", [softplus(c, c.inputs[0]!)])]),
  add: elementwise("Add"),
  sub: elementwise("Sub"),
  mul: elementwise("Mul"),
  scale: (c) => c.g.node("Mul", [c.inputs[0]!, c.g.scalar(num(c.node, "factor"))]),
  lstm: (c) => recurrent(c, true),
  gru: (c) => recurrent(c, false),
  lif,
  repeat: (c) => {
    const rank = rankOf(c);
    const shape = [1, num(c.node, "steps"), ...Array<number>(rank).fill(1)];
    return c.g.node("Expand", [c.g.node("Unsqueeze", [c.inputs[0]!, c.g.ints([1])]), c.g.ints(shape)]);
  },
  // Spikes where a uniform draw in [0, 1) is below the input, as Neuron draws them (the same
  // distribution, from the runtime's own generator). Not ONNX's Bernoulli: onnxruntime 1.31
  // draws it as 1 with probability 1 - p (test/export/onnxruntime.test.ts).
  rate_encode: (c) => {
    const shape = [1, num(c.node, "steps"), ...Array<number>(rankOf(c)).fill(1)];
    const p = c.g.node("Expand", [c.g.node("Unsqueeze", [c.inputs[0]!, c.g.ints([1])]), c.g.ints(shape)]);
    return c.g.node("Cast", [c.g.node("Less", [c.g.node("RandomUniformLike", [p]), p])], { to: FLOAT });
  },
  sum_time: (c) => c.g.node("ReduceSum", [c.inputs[0]!, c.g.ints([1])], { keepdims: 0 }),
  mean_time: unary("ReduceMean", () => ({ axes: [1], keepdims: 0 })),
  last: (c) => step(c, c.inputs[0]!, c.graph.nodes[c.node.inputs[0]!]!.type.shape[0]! - 1),
};

function pool(c: Ctx, op: string): string {
  const size = num(c.node, "size");
  const stride = num(c.node, "stride");
  const y = c.g.node(op, [c.g.node("Transpose", [c.inputs[0]!], { perm: NCHW })], { kernel_shape: [size, size], strides: [stride, stride] });
  return c.g.node("Transpose", [y], { perm: NHWC });
}

/** The ops this exporter writes; every other op is refused with its line. */
export const onnxOps: ReadonlySet<string> = new Set(Object.keys(exporters));

/** The model as ONNX bytes, with `weights` (checkpoint names and layout) as its initializers. */
export function exportOnnx(graph: ModelGraph, weights: ReadonlyMap<string, ArrayLike<number>>, file: string, producerVersion: string): Uint8Array {
  const g = new GraphWriter(weights);
  const values = new Map<number, string>();
  const params = new Set<string>();
  for (const input of graph.inputs) values.set(input.node, input.name);
  for (const node of graph.nodes) {
    if (node.op === "input") continue;
    const exporter = exporters[node.op];
    if (exporter === undefined) {
      throw new ExportError(`${file}:${node.source.line}: cannot export '${node.op}' to ONNX: it has no ONNX counterpart in nnc export yet; remove it or export another model`);
    }
    const prefix = node.params[0] === undefined ? "" : node.params[0].name.slice(0, node.params[0].name.length - (node.op.includes("attention") ? "q.weight" : node.params[0].name.split(".").at(-1)!).length);
    const byName = new Map(node.params.map((p) => [p.name, p]));
    const ctx: Ctx = {
      g,
      node,
      graph,
      inputs: node.inputs.map((i) => values.get(i)!),
      hasParam: (suffix) => byName.has(prefix + suffix),
      param(suffix) {
        const spec = byName.get(prefix + suffix);
        if (spec === undefined) throw new ExportError(`${file}:${node.source.line}: '${node.op}' has no weight '${suffix}'`);
        if (!params.has(spec.name)) {
          params.add(spec.name);
          try {
            g.weight(spec.name, spec.shape);
          } catch (error) {
            if (error instanceof ExportError) throw new ExportError(`${file}:${node.source.line}: ${error.message}`);
            throw error;
          }
        }
        return spec.name;
      },
    };
    let out: string;
    try {
      out = exporter(ctx);
    } catch (error) {
      if (error instanceof ExportError && !error.message.startsWith(file)) throw new ExportError(`${file}:${node.source.line}: ${error.message}`);
      throw error;
    }
    values.set(node.id, out);
  }
  const body = new ProtoWriter();
  // Outputs get their own names through an Identity node.
  for (const o of graph.outputs) {
    const n = new ProtoWriter().string(1, values.get(o.node)!).string(2, o.name).string(3, `output ${o.name}`).string(4, "Identity");
    g.nodes.push(n);
  }
  for (const n of g.nodes) body.message(1, n);
  body.string(2, graph.name);
  for (const t of g.initializers) body.message(5, t);
  for (const i of graph.inputs) body.message(11, valueInfo(i.name, i.type));
  for (const o of graph.outputs) body.message(12, valueInfo(o.name, o.type));
  return new ProtoWriter()
    .int(1, ONNX_IR_VERSION)
    .string(2, "nnc")
    .string(3, producerVersion)
    .message(7, body)
    .message(8, new ProtoWriter().string(1, "").int(2, ONNX_OPSET))
    .finish();
}
