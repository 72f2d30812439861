// An independent TensorFlow.js implementation of any checked model (ModelGraph): the
// yardstick Neuron's compiled modules are tested against (forward values, gradients) and
// the peer the benchmarks race (training the same model on the same data).
//
// It shares nothing with Neuron's back end but the ModelGraph and the checkpoint layout:
// ops are tfjs's (tfjs-ops.ts), gradients come from tfjs's autodiff, weights are converted
// from PyTorch's layout on the way in and gradients back on the way out.
import type { GraphNode, ModelGraph, ParamSpec, TensorType } from "../compiler/graph.js";
import type { Batch, FloatArray } from "../runtime/model.js";
import { tf, useTfjsBackend, type TfjsBackendName } from "./tfjs-backend.js";
import { tfjsLosses } from "./tfjs-losses.js";
import { tfjsOps, type OpContext, type ParamLayout } from "./tfjs-ops.js";
import { TfjsOptimizer } from "./tfjs-optimizer.js";

/** The inputs of a batch; targets are needed only by the losses. */
export type BatchInputs = Pick<Batch, "size" | "inputs">;

export interface LossAndGradients {
  /** The batch's loss: the sum of the model's losses, each a mean. */
  loss: number;
  /** d loss / d parameter for every trainable parameter, in checkpoint layout, keyed by checkpoint name. */
  grads: Map<string, Float32Array>;
}

export interface TfjsModel {
  readonly graph: ModelGraph;
  /** Every output by name, `size` samples, row-major. Training mode uses batch statistics and (random) dropout. */
  forward(batch: BatchInputs, options: { training: boolean }): Record<string, Float32Array>;
  /** Training-mode loss and gradients; changes no weight and no running statistic. */
  lossAndGradients(batch: Batch): LossAndGradients;
  /** One training step with the graph's optimizer (and batch_norm running statistics updated); returns the loss. */
  trainStep(batch: Batch): number;
  /** The optimizer driving `trainStep` (null when the graph has none); set `totalSteps` for cosine schedules. */
  readonly optimizer: TfjsOptimizer | null;
  /** Every parameter and buffer in checkpoint layout. */
  getWeights(): Map<string, Float32Array>;
  /** Frees the tfjs memory this model holds. */
  dispose(): void;
}

export interface TfjsModelOptions {
  /** Default `cpu`. */
  backend?: TfjsBackendName;
}

/** Builds the tfjs twin of `graph` holding `weights` (checkpoint layout, every parameter and buffer). */
export async function buildTfjsModel(
  graph: ModelGraph,
  weights: Map<string, FloatArray>,
  options: TfjsModelOptions = {},
): Promise<TfjsModel> {
  await useTfjsBackend(options.backend ?? "cpu");
  return new TfjsReferenceModel(graph, weights);
}

/** A parameter held as a tfjs variable in the layout its op wants. */
interface HeldParameter {
  spec: ParamSpec;
  localName: string;
  layout: ParamLayout | undefined;
  variable: tf.Variable;
}

interface BatchStatistics {
  node: GraphNode;
  mean: tf.Tensor;
  biasedVariance: tf.Tensor;
  count: number;
}

/** Checkpoint -> tfjs layout. */
function toTfjsLayout(t: tf.Tensor, layout: ParamLayout | undefined): tf.Tensor {
  if (layout === "linear") return tf.transpose(t);
  if (layout === "conv2d") return tf.transpose(t, [2, 3, 1, 0]);
  return t;
}

/** tfjs -> checkpoint layout (the inverse of toTfjsLayout). */
function toCheckpointLayout(t: tf.Tensor, layout: ParamLayout | undefined): tf.Tensor {
  if (layout === "linear") return tf.transpose(t);
  if (layout === "conv2d") return tf.transpose(t, [3, 2, 0, 1]);
  return t;
}

function elementCount(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/**
 * A node's parameter names relative to the node: `hidden.dense_0.weight` -> `weight`,
 * `x_1.self_attention_0.q.bias` -> `q.bias`. The node's prefix is what all its parameter
 * names share (or, for a single parameter, all but its last segment).
 */
function localNames(params: readonly ParamSpec[]): string[] {
  const split = params.map((p) => p.name.split("."));
  let prefixLength: number;
  if (split.length === 1) {
    prefixLength = split[0]!.length - 1;
  } else {
    prefixLength = 0;
    while (split.every((s) => s.length > prefixLength + 1 && s[prefixLength] === split[0]![prefixLength])) prefixLength++;
  }
  return split.map((s) => s.slice(prefixLength).join("."));
}

let modelsBuilt = 0;

class TfjsReferenceModel implements TfjsModel {
  readonly optimizer: TfjsOptimizer | null;
  /** Per node id, its parameters by local name. */
  private readonly nodeParams = new Map<number, Map<string, HeldParameter>>();
  private readonly held: HeldParameter[] = [];
  private readonly trainable: tf.Variable[];

  constructor(readonly graph: ModelGraph, weights: Map<string, FloatArray>) {
    // tfjs names variables globally, so every model gets its own namespace.
    const namespace = `neuron-reference-${modelsBuilt++}`;
    for (const node of graph.nodes) {
      if (node.params.length === 0) continue;
      const byLocalName = new Map<string, HeldParameter>();
      const locals = localNames(node.params);
      node.params.forEach((spec, i) => {
        const localName = locals[i]!;
        const layout = tfjsOps[node.op]?.paramLayouts?.[localName];
        const value = weights.get(spec.name);
        if (!value) throw new Error(`no weight '${spec.name}' given to the tfjs reference`);
        if (value.length !== elementCount(spec.shape)) {
          throw new Error(`weight '${spec.name}' has ${value.length} values, its shape [${spec.shape.join(", ")}] needs ${elementCount(spec.shape)}`);
        }
        const initial = tf.tidy(() => toTfjsLayout(tf.tensor(Float32Array.from(value), spec.shape), layout));
        const variable = tf.variable(initial, spec.trainable, `${namespace}/${spec.name}`);
        initial.dispose();
        const param: HeldParameter = { spec, localName, layout, variable };
        byLocalName.set(localName, param);
        this.held.push(param);
      });
      this.nodeParams.set(node.id, byLocalName);
    }
    this.trainable = this.held.filter((p) => p.spec.trainable).map((p) => p.variable);
    this.optimizer = graph.optimizer ? new TfjsOptimizer(graph.optimizer) : null;
  }

  forward(batch: BatchInputs, options: { training: boolean }): Record<string, Float32Array> {
    return tf.tidy(() => {
      const values = this.evaluate(batch, options.training, () => {});
      const outputs: Record<string, Float32Array> = {};
      for (const output of this.graph.outputs) {
        outputs[output.name] = Float32Array.from(values[output.node]!.dataSync());
      }
      return outputs;
    });
  }

  lossAndGradients(batch: Batch): LossAndGradients {
    this.requireTrainable();
    const { value, grads } = tf.variableGrads(() => this.totalLoss(batch, () => {}), this.trainable);
    const loss = value.dataSync()[0]!;
    const result = new Map<string, Float32Array>();
    for (const param of this.held) {
      if (!param.spec.trainable) continue;
      const grad = grads[param.variable.name];
      // tfjs leaves out parameters the loss does not depend on; their gradient is zero.
      result.set(
        param.spec.name,
        grad
          ? tf.tidy(() => Float32Array.from(toCheckpointLayout(grad, param.layout).dataSync()))
          : new Float32Array(elementCount(param.spec.shape)),
      );
    }
    tf.dispose([value, ...Object.values(grads)]);
    return { loss, grads: result };
  }

  trainStep(batch: Batch): number {
    const optimizer = this.optimizer;
    if (!optimizer) throw new Error(`model ${this.graph.name} declares no optimizer, so it cannot be trained`);
    this.requireTrainable();
    const statistics: BatchStatistics[] = [];
    const { value, grads } = tf.variableGrads(
      () =>
        this.totalLoss(batch, (s) => {
          tf.keep(s.mean);
          tf.keep(s.biasedVariance);
          statistics.push(s);
        }),
      this.trainable,
    );
    optimizer.apply(this.trainable, grads);
    this.updateRunningStatistics(statistics);
    const loss = value.dataSync()[0]!;
    tf.dispose([value, ...Object.values(grads)]);
    return loss;
  }

  getWeights(): Map<string, Float32Array> {
    const weights = new Map<string, Float32Array>();
    for (const param of this.held) {
      weights.set(
        param.spec.name,
        tf.tidy(() => Float32Array.from(toCheckpointLayout(param.variable, param.layout).dataSync())),
      );
    }
    return weights;
  }

  dispose(): void {
    for (const param of this.held) param.variable.dispose();
    this.optimizer?.dispose();
  }

  private requireTrainable(): void {
    if (this.trainable.length === 0) throw new Error(`model ${this.graph.name} has no trainable parameters`);
    if (this.graph.losses.length === 0) throw new Error(`model ${this.graph.name} declares no loss`);
  }

  /** PyTorch's update: running = (1 - momentum) * running + momentum * batch statistic, the variance unbiased. */
  private updateRunningStatistics(statistics: BatchStatistics[]): void {
    for (const { node, mean, biasedVariance, count } of statistics) {
      const momentum = typeof node.args["momentum"] === "number" ? node.args["momentum"] : 0.1;
      const params = this.nodeParams.get(node.id)!;
      const runningMean = params.get("running_mean")!.variable;
      const runningVar = params.get("running_var")!.variable;
      tf.tidy(() => {
        const unbiased = tf.mul(biasedVariance, count / Math.max(count - 1, 1));
        runningMean.assign(tf.add(tf.mul(runningMean, 1 - momentum), tf.mul(mean, momentum)));
        runningVar.assign(tf.add(tf.mul(runningVar, 1 - momentum), tf.mul(unbiased, momentum)));
      });
      tf.dispose([mean, biasedVariance]);
    }
  }

  private totalLoss(batch: Batch, onStatistics: (s: BatchStatistics) => void): tf.Scalar {
    const values = this.evaluate(batch, true, onStatistics);
    const terms = this.graph.losses.map((term) => {
      const loss = tfjsLosses[term.op];
      if (!loss) throw new Error(`the tfjs reference has no loss '${term.op}'`);
      const targetType = this.graph.targets.find((t) => t.name === term.target)?.type;
      if (!targetType) throw new Error(`loss ${term.op} names target '${term.target}', which the model does not declare`);
      const target = batchTensor(batch.targets[term.target], targetType, batch.size, `target '${term.target}'`);
      return loss(values[term.prediction]!, target);
    });
    return terms.length === 1 ? terms[0]! : (tf.addN(terms) as tf.Scalar);
  }

  /** Every node's value, by node id, batch first. */
  private evaluate(batch: BatchInputs, training: boolean, onStatistics: (s: BatchStatistics) => void): tf.Tensor[] {
    const values: tf.Tensor[] = [];
    for (const node of this.graph.nodes) {
      let value: tf.Tensor;
      if (node.op === "input") {
        const name = node.name ?? this.graph.inputs.find((i) => i.node === node.id)?.name;
        if (name === undefined) throw new Error(`input node ${node.id} has no name`);
        value = batchTensor(batch.inputs[name], node.type, batch.size, `input '${name}'`);
      } else {
        const op = tfjsOps[node.op];
        if (!op) throw new Error(`the tfjs reference has no op '${node.op}' (line ${node.source.line}: ${node.source.text})`);
        value = op.forward(this.opContext(node, values, batch.size, training, onStatistics));
      }
      const expected = [batch.size, ...node.type.shape];
      if (value.shape.length !== expected.length || value.shape.some((d, i) => d !== expected[i])) {
        throw new Error(
          `tfjs reference: ${node.op} at line ${node.source.line} (${node.source.text}) gives [${value.shape.join(", ")}], ` +
            `the checker says [${expected.join(", ")}]`,
        );
      }
      values.push(value);
    }
    return values;
  }

  private opContext(
    node: GraphNode,
    values: tf.Tensor[],
    batchSize: number,
    training: boolean,
    onStatistics: (s: BatchStatistics) => void,
  ): OpContext {
    const params = this.nodeParams.get(node.id);
    return {
      node,
      inputs: node.inputs.map((id) => values[id]!),
      inputShapes: node.inputs.map((id) => this.graph.nodes[id]!.type.shape),
      batchSize,
      training,
      param: (localName) => {
        const held = params?.get(localName);
        if (!held) {
          const known = params ? [...params.keys()].join(", ") : "none";
          throw new Error(`${node.op} at line ${node.source.line} has no parameter '${localName}' (it has: ${known})`);
        }
        return held.variable;
      },
      hasParam: (localName) => params?.has(localName) ?? false,
      reportBatchStatistics: (mean, biasedVariance, count) => onStatistics({ node, mean, biasedVariance, count }),
    };
  }
}

/** A batch's input or target as a tfjs tensor [size, ...shape]: float32, or int32 for `int(V)`. */
function batchTensor(data: FloatArray | Int32Array | undefined, type: TensorType, size: number, what: string): tf.Tensor {
  if (!data) throw new Error(`the batch has no ${what}`);
  const count = size * elementCount(type.shape);
  if (data.length < count) throw new Error(`${what} holds ${data.length} values, ${size} samples of [${type.shape.join(", ")}] need ${count}`);
  const shape = [size, ...type.shape];
  if (type.kind === "int") return tf.tensor(Int32Array.from(data.subarray(0, count)), shape, "int32");
  return tf.tensor(Float32Array.from(data.subarray(0, count)), shape, "float32");
}
