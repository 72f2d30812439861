// Where the dense layers skip exact zeros (ops/matmul_sparse.ts). Behind a fused relu the
// gradient is zero wherever a unit was off, so both backward products skip those terms
// (`sparseGradient`). Layers whose input may be mostly exact zeros get a run-time check that
// picks the zero-skipping product when at least half of the batch is zeros (`sparseInput`). A model's float inputs may be such data (MNIST pixels are four-fifths zeros), and
// relu makes about half of its outputs zero; dropout, pooling and reshapes keep most of those
// zeros. Everything else (normalisation, gelu, sums) leaves no exact zeros worth the check.

import type { IrProgram } from "./ir.js";
import { activation } from "./ops/activation.js";
import { activations } from "./ops/activations.js";
import { dense } from "./ops/dense.js";
import { opDef } from "./ops/index.js";
import { attrsOf } from "./ops/op.js";

/** Below this many units the check (one pass over x) costs too large a share of the product. */
export const MIN_UNITS_FOR_ZERO_CHECK = 32;

/**
 * Sets `sparseGradient` on every dense op with a fused relu, and `sparseInput` on every dense
 * op whose input may be mostly zeros and that is wide enough to gain from it. Without this
 * pass (`EmitOptions.skipZeros: false`) every product does all of its multiply-adds.
 */
export function markZeroSkipping(program: IrProgram): IrProgram {
  const mayBeSparse = program.values.map((v) => v.role === "input" && v.kind === "float");
  for (const op of program.ops) {
    // The activation applied on its own, or fused into the op (ops/activations.ts's FusedActivation).
    const fn = op.op === activation.name ? attrsOf(op, activation).fn : op.attrs["activation"];
    const zeroWhereOff = typeof fn === "string" && activations[fn]?.zeroWhereOff === true;
    if (zeroWhereOff || (opDef(op.op).keepsZeros && mayBeSparse[op.inputs[0]!])) mayBeSparse[op.output] = true;
    if (op.op !== dense.name) continue;
    if (zeroWhereOff) op.attrs = { ...attrsOf(op, dense), sparseGradient: true };
    if (mayBeSparse[op.inputs[0]!] && attrsOf(op, dense).units >= MIN_UNITS_FOR_ZERO_CHECK) {
      op.attrs = { ...attrsOf(op, dense), sparseInput: true };
    }
  }
  return program;
}
