// The shape of a library entry. Adding a layer is one `LayerEntry` in one of the group
// files (layers.ts, activations.ts, normalisation.ts), plus, unless it is a `composite` of
// other entries, one op file in compiler/ir/ops/ that lowers it; the checker, `nnc summary`,
// hover, docs/language.md, the TextMate grammar and the test that compiles every entry
// (test/compiler/backend/every-entry.test.ts) all read the entry.
import type { ArgValue, InitSpec, TensorType } from "../graph.js";

/** What an argument accepts. The checker validates values against this before any shape rule runs. */
export type ArgType =
  | { kind: "tensor" }
  | { kind: "int"; min?: number; max?: number }
  | { kind: "float"; min?: number; max?: number; minExclusive?: boolean; maxExclusive?: boolean }
  | { kind: "bool" }
  /** One of a fixed set of words (`padding: same`). */
  | { kind: "word"; words: readonly string[] }
  /** A list of integers (`reshape([7, 7, 16])`); `-1` is allowed where `allowInfer`. */
  | { kind: "shape"; allowInfer?: boolean }
  /** An init scheme: a word (`he_normal`) or a call (`normal(0.02)`). */
  | { kind: "init" }
  /** A learning-rate schedule: a word (`constant`) or a call (`cosine(warmup: 100)`). */
  | { kind: "schedule" }
  /** A spike's surrogate gradient: a word (`atan`) or a call (`fast_sigmoid(slope: 25)`). */
  | { kind: "surrogate" };

/**
 * One argument of an entry. Without `default` the argument is required, unless
 * `defaultDoc` says how the entry computes it from the others (`stride` = `size`).
 */
export interface ArgDecl {
  name: string;
  type: ArgType;
  default?: ArgValue;
  /** How an omitted argument without a fixed default is filled in, for the docs. */
  defaultDoc?: string;
  doc: string;
}

/** A parameter or buffer a layer owns, named relative to the layer (`weight`, `q.bias`). */
export interface WeightSpec {
  name: string;
  shape: number[];
  init: InitSpec;
  trainable: boolean;
}

export interface LayerResult {
  type: TensorType;
  weights: WeightSpec[];
  /** Arguments the rule filled in or normalised (`stride` from `size`, `axis` made non-negative). */
  args?: Record<string, ArgValue>;
  /** What the layer carries from one time step to the next, per sample (lstm's h and c), for hover. */
  state?: StateSpec[];
}

export interface StateSpec {
  name: string;
  shape: number[];
}

/**
 * A shape rule's refusal. Placement follows language.md: a constraint between the layer's
 * arguments and its input goes at the layer's name (`at` absent); a bad argument value goes
 * at that argument (`at: "p"`).
 */
export interface LayerError {
  error: string;
  at?: string;
}

export type ResolvedArgs = Readonly<Record<string, ArgValue>>;

export type LayerGroup = "layer" | "activation" | "regularisation";

/**
 * A layer written from other library entries, which the back end lowers one by one: it needs
 * no kernel and no gradient of its own. `{ input: 0 }` is the entry's first tensor input.
 */
export type CompositeExpr =
  | { input: number }
  | { entry: string; inputs: readonly CompositeExpr[]; args?: Readonly<Record<string, ArgValue>> };

/** Input types and arguments of a small use of an entry, for the test that compiles every entry. */
export interface LayerExample {
  inputs: readonly TensorType[];
  args?: Readonly<Record<string, ArgValue>>;
  /**
   * The entry draws random numbers with its input as a probability (rate_encode): its test
   * models feed it exact 0s and 1s, where the draw is certain, so that twins drawing their own
   * numbers (PyTorch, onnxruntime) agree with it.
   */
  certain?: boolean;
}

export interface LayerEntry {
  name: string;
  group: LayerGroup;
  /** One line, shown on hover and in the docs. */
  doc: string;
  /** Names of the tensor inputs, in order: `[]` for positional, `["q", "k", "v"]` for attention. */
  inputs: readonly string[];
  /** The non-tensor arguments, in positional order after the inputs. */
  args: readonly ArgDecl[];
  /** The shape rule, stated in words for the docs (`[..., in] -> [..., units]`). */
  shapeDoc: string;
  /** Output type and owned weights from the input types and the arguments (defaults filled in). */
  infer(inputs: readonly TensorType[], args: ResolvedArgs): LayerResult | LayerError;
  /** Set for an entry the back end lowers through other entries instead of an op of its own. */
  composite?: CompositeExpr;
  /** A use that compiles, where a float input of shape [4, 6] with default arguments would not. */
  example?: LayerExample;
  /** Nothing flows back to its inputs (rate_encode's random draws): layers before it train only through other paths. */
  noGradient?: boolean;
}

export interface InitEntry {
  name: string;
  doc: string;
  args: readonly ArgDecl[];
}

export interface LossEntry {
  name: string;
  doc: string;
  /** What the target must be, for the docs. */
  targetDoc: string;
  /** Why this prediction and target do not fit, or null when they do. */
  check(prediction: TensorType, target: TensorType, names: { prediction: string; target: string }): string | null;
}

export interface OptimizerEntry {
  name: string;
  doc: string;
  args: readonly ArgDecl[];
}

export interface ScheduleEntry {
  name: string;
  doc: string;
  args: readonly ArgDecl[];
}

/** A spiking layer's stand-in for the derivative of its spike (`fast_sigmoid(slope: 25)`). */
export interface SurrogateEntry {
  name: string;
  doc: string;
  args: readonly ArgDecl[];
}

export function isLayerError(r: LayerResult | LayerError): r is LayerError {
  return "error" in r;
}
