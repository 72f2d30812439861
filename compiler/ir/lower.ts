// From the checked model to the IR: each graph node becomes one IR op or a few (attention
// becomes four dense projections around the attention core), its parameters become
// parameter values, and every op's shape rule is checked against the shape the checker
// inferred, so that a disagreement between front and back end is caught here, at compile
// time, with the `.nn` line that caused it.

import type { ArgValue, GraphNode, ModelGraph, ParamSpec } from "../graph.js";
import { product, type AttrValue, type Attrs, type IrOp, type IrProgram, type IrValue, type ParamLayout } from "./ir.js";
import { losses } from "./ops/losses.js";
import { ops } from "./ops/index.js";

/** The model uses something the back end cannot compile; the message names the `.nn` line. */
export class LoweringError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "LoweringError";
  }
}

class Builder {
  readonly program: IrProgram;

  constructor(graph: ModelGraph) {
    this.program = { graph, values: [], ops: [], params: [], inputs: [], targets: [], outputs: [], losses: [] };
  }

  value(v: Omit<IrValue, "id" | "size">): number {
    const id = this.program.values.length;
    this.program.values.push({ ...v, id, size: product(v.shape) });
    return id;
  }

  param(spec: ParamSpec, layout: ParamLayout = "direct"): number {
    const shape = layout === "ohwi" ? [spec.shape[0]!, spec.shape[2]!, spec.shape[3]!, spec.shape[1]!] : spec.shape;
    const index = this.program.params.length;
    const value = this.value({ name: spec.name, shape, kind: "float", role: "param", batched: false, param: index });
    this.program.params.push({ name: spec.name, shape: spec.shape, layout, init: spec.init, trainable: spec.trainable, value });
    return value;
  }

  op(node: GraphNode, name: string, inputs: number[], attrs: Attrs, label: string): number {
    const def = ops[name];
    if (!def) throw new LoweringError(`${where(node)}: the back end has no kernel for '${name}' yet`);
    const inputValues = inputs.map((i) => this.program.values[i]!);
    const shape = def.shape(inputValues, attrs);
    if (typeof shape === "string") throw new LoweringError(`${where(node)}: ${shape}`);
    const output = this.value({ name: label, shape, kind: "float", role: "activation", batched: true });
    const op: IrOp = { id: this.program.ops.length, op: name, inputs, output, attrs, source: node.source, label };
    this.program.ops.push(op);
    return output;
  }
}

function where(node: GraphNode): string {
  return `line ${node.source.line}: ${node.source.text}`;
}

function num(node: GraphNode, key: string, fallback?: number): number {
  const v = node.args[key];
  if (typeof v === "number") return v;
  if (Array.isArray(v) && v.length > 0 && v.every((d) => d === v[0])) return v[0]!;
  if (fallback !== undefined && v === undefined) return fallback;
  throw new LoweringError(`${where(node)}: argument '${key}' should be a number, got ${JSON.stringify(v)}`);
}

/** A square size given as `3` or `[3, 3]`; pairs `[kh, kw]` are kept as they are. */
function pair(node: GraphNode, key: string, fallback: number): [number, number] {
  const v: ArgValue | undefined = node.args[key];
  if (v === undefined) return [fallback, fallback];
  if (typeof v === "number") return [v, v];
  if (Array.isArray(v) && v.length === 2) return [v[0]!, v[1]!];
  throw new LoweringError(`${where(node)}: argument '${key}' should be a number or [h, w], got ${JSON.stringify(v)}`);
}

function paramBySuffix(node: GraphNode, suffix: string): ParamSpec | undefined {
  return node.params.find((p) => p.name === suffix || p.name.endsWith(`.${suffix}`));
}

function requireParam(node: GraphNode, suffix: string): ParamSpec {
  const p = paramBySuffix(node, suffix);
  if (!p) throw new LoweringError(`${where(node)}: the checker gave no parameter '*.${suffix}'`);
  return p;
}

/** The checker's path for the node (`hidden.dense_0`), else one derived from its parameters or its op. */
function labelOf(node: GraphNode): string {
  if (node.name) return node.name;
  const first = node.params[0]?.name;
  if (first) return first.slice(0, first.lastIndexOf("."));
  return `${node.op}#${node.id}`;
}

type Lowering = (node: GraphNode, b: Builder, inputs: number[]) => number;

const ACTIVATIONS = ["relu", "leaky_relu", "sigmoid", "tanh", "gelu", "silu", "elu"];

function denseOp(b: Builder, node: GraphNode, x: number, weight: ParamSpec, bias: ParamSpec | undefined, label: string): number {
  const inputs = [x, b.param(weight)];
  if (bias) inputs.push(b.param(bias));
  return b.op(node, "dense", inputs, { units: weight.shape[0]! }, label);
}

/** q, k and v projections, the attention core, and the output projection. */
function lowerAttention(node: GraphNode, b: Builder, q: number, k: number, v: number): number {
  const label = labelOf(node);
  const project = (x: number, which: string): number =>
    denseOp(b, node, x, requireParam(node, `${which}.weight`), paramBySuffix(node, `${which}.bias`), `${label}.${which}`);
  const attrs: Record<string, AttrValue> = {
    heads: num(node, "heads"),
    causal: node.args["causal"] === true,
  };
  const core = b.op(node, "attention", [project(q, "q"), project(k, "k"), project(v, "v")], attrs, `${label}.core`);
  return project(core, "out");
}

const lowerings: Readonly<Record<string, Lowering>> = {
  dense: (node, b, [x]) =>
    denseOp(b, node, x!, requireParam(node, "weight"), paramBySuffix(node, "bias"), labelOf(node)),
  ...Object.fromEntries(
    ACTIVATIONS.map((fn): [string, Lowering] => [
      fn,
      (node, b, [x]) => {
        const attrs: Record<string, AttrValue> = { fn };
        if (fn === "leaky_relu") attrs["alpha"] = num(node, "alpha", 0.01);
        if (fn === "elu") attrs["alpha"] = num(node, "alpha", 1);
        return b.op(node, "activation", [x!], attrs, `${labelOf(node)}`);
      },
    ]),
  ),
  identity: (node, b, [x]) => b.op(node, "reshape", [x!], { shape: node.type.shape }, labelOf(node)),
  flatten: (node, b, [x]) => b.op(node, "reshape", [x!], { shape: node.type.shape }, labelOf(node)),
  reshape: (node, b, [x]) => b.op(node, "reshape", [x!], { shape: node.type.shape }, labelOf(node)),
  softmax: (node, b, [x]) => b.op(node, "softmax", [x!], {}, labelOf(node)),
  add: (node, b, [x, y]) => b.op(node, "add", [x!, y!], {}, labelOf(node)),
  sub: (node, b, [x, y]) => b.op(node, "sub", [x!, y!], {}, labelOf(node)),
  mul: (node, b, [x, y]) => b.op(node, "mul", [x!, y!], {}, labelOf(node)),
  scale: (node, b, [x]) => b.op(node, "scale", [x!], { factor: num(node, "factor") }, labelOf(node)),
  dropout: (node, b, [x]) => b.op(node, "dropout", [x!], { p: num(node, "p") }, labelOf(node)),
  concat: (node, b, [x, y]) => {
    const rank = b.program.values[x!]!.shape.length;
    const axis = num(node, "axis", -1);
    return b.op(node, "concat", [x!, y!], { axis: axis < 0 ? rank + axis : axis }, labelOf(node));
  },
  conv2d: (node, b, [x]) => {
    const weight = requireParam(node, "weight");
    const bias = paramBySuffix(node, "bias");
    const inputs = [x!, b.param(weight, "ohwi")];
    if (bias) inputs.push(b.param(bias));
    const padding = node.args["padding"] ?? "valid";
    if (padding !== "same" && padding !== "valid") {
      throw new LoweringError(`${where(node)}: padding must be same or valid, got ${JSON.stringify(padding)}`);
    }
    const [sh, sw] = pair(node, "stride", 1);
    return b.op(node, "conv2d", inputs, { filters: weight.shape[0]!, kh: weight.shape[2]!, kw: weight.shape[3]!, sh, sw, padding }, labelOf(node));
  },
  max_pool2d: (node, b, [x]) => pool(node, b, x!, "max"),
  avg_pool2d: (node, b, [x]) => pool(node, b, x!, "avg"),
  batch_norm: (node, b, [x]) => {
    const inputs = [x!, ...["weight", "bias", "running_mean", "running_var"].map((s) => b.param(requireParam(node, s)))];
    return b.op(node, "batch_norm", inputs, { momentum: num(node, "momentum", 0.1), eps: num(node, "eps", 1e-5) }, labelOf(node));
  },
  layer_norm: (node, b, [x]) => {
    const inputs = [x!, b.param(requireParam(node, "weight")), b.param(requireParam(node, "bias"))];
    return b.op(node, "layer_norm", inputs, { eps: num(node, "eps", 1e-5) }, labelOf(node));
  },
  embedding: (node, b, [x]) => b.op(node, "embedding", [x!, b.param(requireParam(node, "weight"))], {}, labelOf(node)),
  positional: (node, b) => b.op(node, "positional", [b.param(requireParam(node, "weight"))], {}, labelOf(node)),
  self_attention: (node, b, [x]) => lowerAttention(node, b, x!, x!, x!),
  attention: (node, b, [q, k, v]) => lowerAttention(node, b, q!, k!, v!),
};

function pool(node: GraphNode, b: Builder, x: number, kind: "max" | "avg"): number {
  const [kh, kw] = pair(node, "size", 2);
  const strideArg = node.args["stride"];
  const [sh, sw] = strideArg === undefined || strideArg === null ? [kh, kw] : pair(node, "stride", kh);
  return b.op(node, kind === "max" ? "max_pool2d" : "avg_pool2d", [x], { kh, kw, sh, sw }, labelOf(node));
}

/** The IR of one checked model. Throws LoweringError when the back end cannot compile it. */
export function lower(graph: ModelGraph): IrProgram {
  const b = new Builder(graph);
  const nodeValue = new Map<number, number>();
  for (const node of graph.nodes) {
    if (node.op === "input") {
      const id = b.value({
        name: node.name ?? `input#${node.id}`,
        shape: node.type.shape,
        kind: node.type.kind,
        role: "input",
        batched: true,
      });
      nodeValue.set(node.id, id);
      continue;
    }
    const lowering = lowerings[node.op];
    if (!lowering) throw new LoweringError(`${where(node)}: the back end cannot compile '${node.op}' yet`);
    const inputs = node.inputs.map((i) => {
      const v = nodeValue.get(i);
      if (v === undefined) throw new LoweringError(`${where(node)}: input node ${i} is not computed before it is used`);
      return v;
    });
    const out = lowering(node, b, inputs);
    const got = b.program.values[out]!.shape;
    if (got.join(",") !== node.type.shape.join(",")) {
      throw new LoweringError(
        `${where(node)}: the back end computes shape [${got.join(", ")}] where the checker inferred [${node.type.shape.join(", ")}]`,
      );
    }
    nodeValue.set(node.id, out);
  }
  const valueOf = (node: number, what: string): number => {
    const v = nodeValue.get(node);
    if (v === undefined) throw new LoweringError(`${what} refers to node ${node}, which does not exist`);
    return v;
  };
  for (const input of graph.inputs) b.program.inputs.push({ name: input.name, value: valueOf(input.node, `input ${input.name}`) });
  for (const output of graph.outputs) b.program.outputs.push({ name: output.name, value: valueOf(output.node, `output ${output.name}`) });
  const targetValues = new Map<string, number>();
  for (const target of graph.targets) {
    const id = b.value({ name: target.name, shape: target.type.shape, kind: target.type.kind, role: "target", batched: true });
    targetValues.set(target.name, id);
    b.program.targets.push({ name: target.name, value: id });
  }
  for (const loss of graph.losses) {
    const def = losses[loss.op];
    if (!def) throw new LoweringError(`line ${loss.source.line}: the back end has no loss '${loss.op}'`);
    const target = targetValues.get(loss.target);
    if (target === undefined) throw new LoweringError(`line ${loss.source.line}: no target named '${loss.target}'`);
    b.program.losses.push({ op: loss.op, prediction: valueOf(loss.prediction, `loss ${loss.op}`), target, source: loss.source });
  }
  orderParams(graph, b.program);
  return b.program;
}

/**
 * Puts parameters in the checker's order (the order of checkpoints and `nnc summary`), and
 * makes sure every parameter it named found its op, or weights would silently go missing.
 */
function orderParams(graph: ModelGraph, program: IrProgram): void {
  const byName = new Map(program.params.map((p) => [p.name, p]));
  if (byName.size !== program.params.length) throw new LoweringError("two parameters share a name");
  const ordered = graph.params.map((spec) => {
    const p = byName.get(spec.name);
    if (!p) throw new LoweringError(`parameter '${spec.name}' is not used by any lowered op`);
    return p;
  });
  if (ordered.length !== program.params.length) throw new LoweringError("the graph's parameter list misses a node's parameter");
  program.params = ordered;
  ordered.forEach((p, i) => {
    program.values[p.value]!.param = i;
  });
}
