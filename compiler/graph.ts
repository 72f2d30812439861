// The checked model: what the front end hands to the back end.
//
// The checker resolves names, folds consts, inlines blocks (their shape variables bound),
// fills every argument's default, infers every shape and names every parameter. The result
// is a flat list of layer applications in evaluation order. The back end (IR, autodiff,
// emitter) and `nnc summary` read only this, never the syntax tree.

/** Element type of a tensor: floats, or integers in 0..vocab-1 (`int(V)`). */
export type ElementKind = "float" | "int";

/** The type of one sample; the batch dimension is implicit and comes first at run time. */
export interface TensorType {
  shape: number[];
  kind: ElementKind;
  /** For `int(V)`: V. */
  vocab?: number;
}

/** Where a node came from, for kernel comments and run-time messages. */
export interface SourceRef {
  line: number;
  column: number;
  /** The layer call as written, e.g. `dense(128, init: he_normal)`. */
  text: string;
}

/** A resolved argument: numbers, booleans, words (`same`), lists, or a call (`normal(0.02)`, `cosine(warmup: 100)`). */
export type ArgValue = number | boolean | string | number[] | CallValue;

export interface CallValue {
  kind: "call";
  name: string;
  args: Record<string, ArgValue>;
}

/** How a parameter is initialised: an init scheme with its arguments and the layer's fans. */
export interface InitSpec {
  /** `zeros`, `ones`, `constant`, `normal`, `uniform`, `xavier_uniform`, `xavier_normal`, `he_normal`, `he_uniform`, `lecun_normal`, `torch_default`. */
  scheme: string;
  args: Record<string, number>;
  fanIn: number;
  fanOut: number;
}

/**
 * A trainable parameter or a non-trainable buffer (batch_norm's running statistics).
 * `name` is the checkpoint name (`hidden.dense_0.weight`); `shape` is the checkpoint
 * layout, PyTorch's: dense weight [out, in], conv2d weight [out, in, kh, kw].
 */
export interface ParamSpec {
  name: string;
  shape: number[];
  init: InitSpec;
  trainable: boolean;
}

export interface GraphNode {
  /** Index of this node in `ModelGraph.nodes`. */
  id: number;
  /**
   * The library entry (`dense`, `relu`, `conv2d`, `self_attention`, ...), an element-wise
   * operator (`add`, `sub`, `mul`), `input` for a model input, or `scale` for a tensor times
   * a constant.
   */
  op: string;
  /** Tensor inputs, by node id, in the entry's order. */
  inputs: number[];
  /** Every argument of the entry by name, defaults filled in, consts folded. */
  args: Record<string, ArgValue>;
  type: TensorType;
  /** Parameters this node owns, in a fixed order per op (weight before bias). */
  params: ParamSpec[];
  source: SourceRef;
  /**
   * For `input` nodes: the input's name. The checker also names every other node by its
   * path (`hidden.dense_0`, `x_1.add_0`), the prefix of its parameters' checkpoint names.
   */
  name?: string;
}

export interface LossTerm {
  /** `mse`, `binary_cross_entropy`, `softmax_cross_entropy`, `cross_entropy`. */
  op: string;
  prediction: number;
  /** The target's name (a key of `ModelGraph.targets`). */
  target: string;
  source: SourceRef;
}

export interface OptimizerSpec {
  /** `sgd`, `adam`, `adamw`, `rmsprop`. */
  name: string;
  /** Every hyper-parameter by name, defaults filled in (`lr`, `momentum`, `beta1`, ..., `clip_norm` 0 for none). */
  args: Record<string, number | boolean>;
  schedule: ScheduleSpec;
}

export interface ScheduleSpec {
  /** `constant`, `step`, `cosine`. */
  name: string;
  args: Record<string, number>;
}

export interface TrainDefaults {
  batch?: number;
  epochs?: number;
  seed?: number;
}

export interface NamedTensor {
  name: string;
  type: TensorType;
  /** The node that produces it (for inputs, the `input` node). */
  node: number;
}

export interface ModelGraph {
  name: string;
  inputs: NamedTensor[];
  /** Targets have no node: they feed only the losses. */
  targets: { name: string; type: TensorType }[];
  nodes: GraphNode[];
  outputs: NamedTensor[];
  losses: LossTerm[];
  optimizer: OptimizerSpec | null;
  train: TrainDefaults;
  /** Every parameter and buffer of every node, in node order: the order of `nnc summary --json`. */
  params: ParamSpec[];
}
