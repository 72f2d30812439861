// Small helpers over tensor types shared by the shape rules and the checker's messages.
import type { InitSpec, TensorType } from "../graph.js";
import type { LayerError } from "./types.js";

/** `[28, 28, 1]`; a scalar is `[]`. */
export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(", ")}]`;
}

/** `[784]`, `int(10)` for an int scalar, `int(10)[8]` for an int sequence: the `.nn` spelling. */
export function formatType(t: TensorType): string {
  if (t.kind === "int") {
    const head = `int(${t.vocab ?? "?"})`;
    return t.shape.length === 0 ? head : head + formatShape(t.shape);
  }
  return formatShape(t.shape);
}

export function floatTensor(shape: number[]): TensorType {
  return { shape, kind: "float" };
}

export function elementCount(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** The refusal shared by every layer that computes on floats: token ids must go through `embedding` first. */
export function requireFloat(layer: string, t: TensorType): LayerError | null {
  if (t.kind === "float") return null;
  return {
    error: `'${layer}' needs a float tensor, got ${formatType(t)}; turn token ids into vectors with embedding first`,
  };
}

export function requireRankAtLeast(layer: string, t: TensorType, rank: number, what: string): LayerError | null {
  if (t.shape.length >= rank) return null;
  return { error: `'${layer}' needs ${what}, got ${formatType(t)}` };
}

/** PyTorch's default for Linear and Conv weights and biases: kaiming_uniform(a = sqrt 5) is U(-1/sqrt(fanIn), 1/sqrt(fanIn)). */
export function torchDefaultInit(fanIn: number, fanOut: number): InitSpec {
  return fixedInit("uniform", fanIn, fanOut, { limit: 1 / Math.sqrt(fanIn) });
}

/**
 * Init specs are immutable and a large model repeats a handful of them thousands of times,
 * so equal specs are one frozen object: the checker's result stays small and leaves the
 * garbage collector less to promote. The table is bounded by the distinct layer widths seen.
 */
const sharedInits = new Map<string, InitSpec>();

export function fixedInit(scheme: string, fanIn: number, fanOut: number, args: Record<string, number> = {}): InitSpec {
  let key = `${scheme} ${fanIn} ${fanOut}`;
  for (const k in args) key += ` ${k}=${args[k]}`;
  let spec = sharedInits.get(key);
  if (!spec) {
    spec = Object.freeze({ scheme, args: Object.freeze({ ...args }), fanIn, fanOut }) as InitSpec;
    sharedInits.set(key, spec);
  }
  return spec;
}
