// Builds ModelGraphs by hand for tests, named as the checker names things
// (`<binding>.<layer>_<k>.weight`, PyTorch layouts), so that a test can exercise one op
// without writing `.nn` text.
import { withDefaults } from "../compiler/library/index.js";
import type {
  ArgValue,
  GraphNode,
  InitSpec,
  ModelGraph,
  NamedTensor,
  OptimizerSpec,
  ParamSpec,
  TensorType,
} from "../compiler/graph.js";

export interface ParamDecl {
  /** Local name: `weight`, `bias`, `q.weight`, `running_mean`. */
  name: string;
  shape: number[];
  trainable?: boolean;
}

const defaultInit: InitSpec = { scheme: "normal", args: { std: 0.5 }, fanIn: 1, fanOut: 1 };

export class GraphBuilder {
  private readonly graph: ModelGraph;

  constructor(name: string) {
    this.graph = { name, inputs: [], targets: [], nodes: [], outputs: [], losses: [], optimizer: null, train: {}, params: [] };
  }

  input(name: string, shape: number[], vocab?: number): number {
    const type: TensorType = vocab === undefined ? { shape, kind: "float" } : { shape, kind: "int", vocab };
    const id = this.push({ op: "input", inputs: [], args: {}, type, params: [], name });
    this.graph.inputs.push({ name, type, node: id });
    return id;
  }

  target(name: string, shape: number[], vocab?: number): string {
    const type: TensorType = vocab === undefined ? { shape, kind: "float" } : { shape, kind: "int", vocab };
    this.graph.targets.push({ name, type });
    return name;
  }

  /** A layer application: `prefix` names its parameters (`hidden.dense_0`). */
  layer(op: string, inputs: number[], shape: number[], args: Record<string, ArgValue> = {}, prefix = "", params: ParamDecl[] = []): number {
    const specs: ParamSpec[] = params.map((p) => ({
      name: `${prefix}.${p.name}`,
      shape: p.shape,
      init: defaultInit,
      trainable: p.trainable ?? true,
    }));
    return this.push({ op, inputs, args: withDefaults(op, args), type: { shape, kind: "float" }, params: specs });
  }

  /** dense on the last axis of `x` (whose per-sample shape is `inShape`). */
  dense(x: number, inShape: number[], units: number, prefix: string, bias = true): number {
    const inFeatures = inShape[inShape.length - 1]!;
    const params: ParamDecl[] = [{ name: "weight", shape: [units, inFeatures] }];
    if (bias) params.push({ name: "bias", shape: [units] });
    return this.layer("dense", [x], [...inShape.slice(0, -1), units], { units, bias }, prefix, params);
  }

  output(name: string, node: number): void {
    const entry: NamedTensor = { name, type: this.graph.nodes[node]!.type, node };
    this.graph.outputs.push(entry);
  }

  loss(op: string, prediction: number, target: string): void {
    this.graph.losses.push({ op, prediction, target, source: { line: 1, column: 1, text: op } });
  }

  optimizer(name: string, args: Record<string, number | boolean>): void {
    const spec: OptimizerSpec = { name, args, schedule: { name: "constant", args: {} } };
    this.graph.optimizer = spec;
  }

  typeOf(node: number): TensorType {
    return this.graph.nodes[node]!.type;
  }

  build(): ModelGraph {
    return this.graph;
  }

  private push(partial: Omit<GraphNode, "id" | "source">): number {
    const id = this.graph.nodes.length;
    const node: GraphNode = { ...partial, id, source: { line: id + 1, column: 1, text: partial.op } };
    this.graph.nodes.push(node);
    this.graph.params.push(...node.params);
    return id;
  }
}

/** Deterministic pseudo-random values in [-scale, scale) (a small LCG: tests need repeatability, not quality). */
export function randomValues(count: number, seed: number, scale = 1): Float32Array {
  const out = new Float32Array(count);
  let state = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < count; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    out[i] = (state / 2 ** 32 * 2 - 1) * scale;
  }
  return out;
}

/** Random weights for every parameter of `graph`; running_var stays positive. */
export function randomWeights(graph: ModelGraph, seed: number, scale = 0.5): Map<string, Float32Array> {
  const weights = new Map<string, Float32Array>();
  graph.params.forEach((p, i) => {
    const count = p.shape.reduce((a, b) => a * b, 1);
    const values = randomValues(count, seed * 1000 + i, scale);
    if (p.name.endsWith("running_var")) for (let j = 0; j < count; j++) values[j] = 0.5 + Math.abs(values[j]!);
    weights.set(p.name, values);
  });
  return weights;
}
