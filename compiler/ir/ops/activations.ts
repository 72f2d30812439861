// Element-wise activations: each one its value and its derivative, as JavaScript expressions
// over a scalar. An activation whose derivative can be written from its output alone
// (`fromOutput`) can be fused into the kernel that produces its input (dense, conv2d): the
// pre-activation value is then never stored, and the backward kernel turns gy into the
// pre-activation gradient in place.

import { lit } from "./op.js";

/** The arguments an activation's expressions read: the slope or scale below zero, where it has one. */
export type ActivationArgs = { alpha?: number | undefined };

/**
 * Attributes of an op that may carry a fused activation (dense, conv2d, batch_norm): its name
 * and arguments, set by fuse.ts.
 */
export type FusedActivation = { activation?: string | undefined } & ActivationArgs;

export interface Activation {
  /** f(x). */
  value(x: string, attrs: ActivationArgs): string;
  /** f'(x) given x and y = f(x). */
  derivative(x: string, y: string, attrs: ActivationArgs): string;
  /** Which of x and y `derivative` reads, so that a kernel loads only those. */
  derivativeReads: readonly ("x" | "y")[];
  /** f'(x) from y alone, where that is possible for these arguments. */
  fromOutput?(y: string, attrs: ActivationArgs): string | null;
  /**
   * Exactly zero wherever the unit is off, and so is its derivative: the products that read
   * its output, or the gradient behind it, may skip those zeros (sparsity.ts).
   */
  zeroWhereOff?: boolean;
  /** Functions the expressions call (the runtime's `erf`, or an activationHelpers entry), per expression. */
  needs?: { value?: readonly string[]; derivative?: readonly string[] };
}

/** The slope or scale below zero; its default is the library's (the checker fills it in). */
function alpha(attrs: ActivationArgs): number {
  const a = attrs.alpha;
  if (typeof a !== "number") throw new Error("internal error: activation without its 'alpha'");
  return a;
}

function num(x: number): string {
  return x < 0 ? `(${lit(x)})` : lit(x);
}

/** `k * expr`, with a factor of 1 folded away. */
function times(k: number, expr: string): string {
  return k === 1 ? expr : `${num(k)} * ${expr}`;
}

const SQRT1_2 = Math.SQRT1_2;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

export const activations: Readonly<Record<string, Activation>> = {
  relu: {
    zeroWhereOff: true,
    value: (x) => `(${x} > 0 ? ${x} : 0)`,
    derivative: (x) => `(${x} > 0 ? 1 : 0)`,
    derivativeReads: ["x"],
    fromOutput: (y) => `(${y} > 0 ? 1 : 0)`,
  },
  leaky_relu: {
    value: (x, a) => `(${x} > 0 ? ${x} : ${times(alpha(a), x)})`,
    derivative: (x, _y, a) => `(${x} > 0 ? 1 : ${num(alpha(a))})`,
    derivativeReads: ["x"],
    // With a positive slope the sign of y is the sign of x.
    fromOutput: (y, a) => (alpha(a) > 0 ? `(${y} > 0 ? 1 : ${num(alpha(a))})` : null),
  },
  sigmoid: {
    value: (x) => `1 / (1 + Math.exp(-${x}))`,
    derivative: (_x, y) => `${y} * (1 - ${y})`,
    derivativeReads: ["y"],
    fromOutput: (y) => `${y} * (1 - ${y})`,
  },
  tanh: {
    value: (x) => `Math.tanh(${x})`,
    derivative: (_x, y) => `(1 - ${y} * ${y})`,
    derivativeReads: ["y"],
    fromOutput: (y) => `(1 - ${y} * ${y})`,
  },
  elu: {
    value: (x, a) => `(${x} > 0 ? ${x} : ${times(alpha(a), `(Math.exp(${x}) - 1)`)})`,
    derivative: (x, y, a) => `(${x} > 0 ? 1 : ${y} + ${num(alpha(a))})`,
    derivativeReads: ["x", "y"],
    // For alpha > 0, y > 0 exactly when x > 0, and below zero f'(x) = alpha e^x = y + alpha.
    fromOutput: (y, a) => (alpha(a) > 0 ? `(${y} > 0 ? 1 : ${y} + ${num(alpha(a))})` : null),
  },
  // Exact gelu, x * Phi(x), with Phi written through erf as PyTorch's default.
  gelu: {
    value: (x) => `0.5 * ${x} * (1 + erf(${x} * ${SQRT1_2}))`,
    derivative: (x) =>
      `(0.5 * (1 + erf(${x} * ${SQRT1_2})) + ${x} * ${INV_SQRT_2PI} * Math.exp(-0.5 * ${x} * ${x}))`,
    derivativeReads: ["x"],
    needs: { value: ["erf"], derivative: ["erf"] },
  },
  // PyTorch's threshold: above 20, log(1 + e^x) is x to float precision.
  softplus: {
    value: (x) => `(${x} > 20 ? ${x} : Math.log1p(Math.exp(${x})))`,
    derivative: (x) => `(${x} > 20 ? 1 : 1 / (1 + Math.exp(-${x})))`,
    derivativeReads: ["x"],
  },
  silu: {
    value: (x) => `${x} / (1 + Math.exp(-${x}))`,
    derivative: (x) => `silu_grad(${x})`,
    derivativeReads: ["x"],
    needs: { derivative: ["silu_grad"] },
  },
};

/** Helper functions activations call, emitted once into a module that needs them (typed or not). */
export const activationHelpers: Readonly<Record<string, (typed: boolean) => string>> = {
  silu_grad: (typed) =>
    [
      "/** d/dx x * sigmoid(x) = s * (1 + x * (1 - s)). */",
      `function silu_grad(x${typed ? ": number" : ""})${typed ? ": number" : ""} {`,
      "  const s = 1 / (1 + Math.exp(-x));",
      "  return s * (1 + x * (1 - s));",
      "}",
    ].join("\n"),
};
