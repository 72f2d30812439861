// Hand-built ModelGraphs for back-end tests: the nodes and parameter names the checker
// produces (`<binding>.<layer>_<k>.weight`, PyTorch layouts, default inits), without parsing.

import { withDefaults } from "../../../compiler/library/index.js";
import type { ArgValue, GraphNode, ModelGraph, OptimizerSpec, ParamSpec, TensorType } from "../../../compiler/graph.js";

const at = { line: 1, column: 1, text: "test" };

function float(shape: number[]): TensorType {
  return { shape, kind: "float" };
}

export class GraphBuilder {
  private readonly nodes: GraphNode[] = [];
  private readonly inputs: ModelGraph["inputs"] = [];
  private readonly targets: ModelGraph["targets"] = [];
  private readonly outputs: ModelGraph["outputs"] = [];
  private readonly losses: ModelGraph["losses"] = [];
  private readonly counts = new Map<string, number>();

  constructor(private readonly name = "Test") {}

  shape(id: number): number[] {
    return this.nodes[id]!.type.shape;
  }

  input(name: string, shape: number[], vocab?: number): number {
    const type: TensorType = vocab === undefined ? float(shape) : { shape, kind: "int", vocab };
    const id = this.node("input", [], {}, type, []);
    this.nodes[id]!.name = name;
    this.inputs.push({ name, type, node: id });
    return id;
  }

  target(name: string, shape: number[], vocab?: number): string {
    this.targets.push({ name, type: vocab === undefined ? float(shape) : { shape, kind: "int", vocab } });
    return name;
  }

  /** A layer application; `params` get the `<binding>.<op>_<k>.` prefix. */
  layer(
    binding: string,
    op: string,
    inputs: number[],
    args: Record<string, ArgValue>,
    shape: number[],
    params: (Omit<ParamSpec, "name"> & { suffix: string })[] = [],
  ): number {
    const key = `${binding}/${op}`;
    const k = this.counts.get(key) ?? 0;
    this.counts.set(key, k + 1);
    const prefix = `${binding}.${op}_${k}`;
    const named = params.map(({ suffix, ...p }) => ({ ...p, name: `${prefix}.${suffix}` }));
    return this.node(op, inputs, args, float(shape), named);
  }

  dense(binding: string, x: number, units: number, options: { bias?: boolean } = {}): number {
    const fanIn = this.shape(x).at(-1)!;
    const init = { scheme: "uniform", args: { limit: 1 / Math.sqrt(fanIn) }, fanIn, fanOut: units };
    const params = [{ suffix: "weight", shape: [units, fanIn], init, trainable: true }];
    if (options.bias !== false) params.push({ suffix: "bias", shape: [units], init, trainable: true });
    return this.layer(binding, "dense", [x], { units, bias: options.bias !== false }, [...this.shape(x).slice(0, -1), units], params);
  }

  unary(binding: string, op: string, x: number, args: Record<string, ArgValue> = {}): number {
    return this.layer(binding, op, [x], args, this.shape(x));
  }

  conv2d(binding: string, x: number, filters: number, kernel: number, options: { stride?: number; padding?: "same" | "valid" } = {}): number {
    const [h, w, c] = this.shape(x) as [number, number, number];
    const stride = options.stride ?? 1;
    const padding = options.padding ?? "valid";
    const out = (d: number): number => (padding === "same" ? Math.ceil(d / stride) : Math.floor((d - kernel) / stride) + 1);
    const fanIn = c * kernel * kernel;
    const init = { scheme: "uniform", args: { limit: 1 / Math.sqrt(fanIn) }, fanIn, fanOut: filters * kernel * kernel };
    return this.layer(binding, "conv2d", [x], { filters, kernel, stride, padding }, [out(h), out(w), filters], [
      { suffix: "weight", shape: [filters, c, kernel, kernel], init, trainable: true },
      { suffix: "bias", shape: [filters], init, trainable: true },
    ]);
  }

  pool(binding: string, op: "max_pool2d" | "avg_pool2d", x: number, size: number): number {
    const [h, w, c] = this.shape(x) as [number, number, number];
    return this.layer(binding, op, [x], { size, stride: size }, [Math.floor(h / size), Math.floor(w / size), c]);
  }

  norm(binding: string, op: "layer_norm" | "batch_norm", x: number, args: Record<string, ArgValue> = {}): number {
    const c = this.shape(x).at(-1)!;
    const init = (scheme: string) => ({ scheme, args: {}, fanIn: c, fanOut: c });
    const params = [
      { suffix: "weight", shape: [c], init: init("ones"), trainable: true },
      { suffix: "bias", shape: [c], init: init("zeros"), trainable: true },
    ];
    if (op === "batch_norm") {
      params.push({ suffix: "running_mean", shape: [c], init: init("zeros"), trainable: false });
      params.push({ suffix: "running_var", shape: [c], init: init("ones"), trainable: false });
    }
    const defaults: Record<string, ArgValue> = op === "batch_norm" ? { momentum: 0.1, eps: 1e-5 } : { eps: 1e-5 };
    return this.layer(binding, op, [x], { ...defaults, ...args }, this.shape(x), params);
  }

  attention(binding: string, q: number, k: number, v: number, heads: number, causal = false, self = false): number {
    const d = this.shape(q).at(-1)!;
    const xavier = { scheme: "xavier_uniform", args: {}, fanIn: d, fanOut: d };
    const zeros = { scheme: "zeros", args: {}, fanIn: d, fanOut: d };
    const params = ["q", "k", "v", "out"].flatMap((p) => [
      { suffix: `${p}.weight`, shape: [d, d], init: p === "out" ? { scheme: "uniform", args: { limit: 1 / Math.sqrt(d) }, fanIn: d, fanOut: d } : xavier, trainable: true },
      { suffix: `${p}.bias`, shape: [d], init: zeros, trainable: true },
    ]);
    return self
      ? this.layer(binding, "self_attention", [q], { heads, causal }, this.shape(q), params)
      : this.layer(binding, "attention", [q, k, v], { heads, causal }, this.shape(q), params);
  }

  output(name: string, node: number): void {
    this.outputs.push({ name, type: this.nodes[node]!.type, node });
  }

  loss(op: string, prediction: number, target: string): void {
    this.losses.push({ op, prediction, target, source: at });
  }

  build(optimizer: OptimizerSpec | null = null, train: ModelGraph["train"] = {}): ModelGraph {
    return {
      name: this.name,
      inputs: this.inputs,
      targets: this.targets,
      nodes: this.nodes,
      outputs: this.outputs,
      losses: this.losses,
      optimizer,
      train,
      params: this.nodes.flatMap((n) => n.params),
    };
  }

  private node(op: string, inputs: number[], args: Record<string, ArgValue>, type: TensorType, params: ParamSpec[]): number {
    const id = this.nodes.length;
    this.nodes.push({ id, op, inputs, args: withDefaults(op, args), type, params, source: { ...at, text: `${op}(...)` } });
    return id;
  }
}

export function sgd(lr: number): OptimizerSpec {
  return { name: "sgd", args: { lr, momentum: 0, nesterov: false, weight_decay: 0, clip_norm: 0 }, schedule: { name: "constant", args: {} } };
}
