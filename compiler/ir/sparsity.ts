// Which dense layers may see inputs that are mostly exact zeros: those get a run-time check
// that picks the zero-skipping product (ops/matmul_sparse.ts) when at least half of the batch
// is zeros. A model's float inputs may be such data (MNIST pixels are four-fifths zeros), and
// relu makes about half of its outputs zero; dropout, pooling and reshapes keep most of those
// zeros. Everything else (normalisation, gelu, sums) leaves no exact zeros worth the check.

import type { IrProgram } from "./ir.js";

/** Ops whose output keeps the zeros of their first input. */
const KEEPS_ZEROS = new Set(["dropout", "max_pool2d", "reshape"]);

/** Below this many units the check (one pass over x) costs too large a share of the product. */
export const MIN_UNITS_FOR_ZERO_CHECK = 32;

/** Sets `sparseInput` on every dense op whose input may be mostly zeros and that is wide enough to gain from it. */
export function markSparseInputs(program: IrProgram): IrProgram {
  const mayBeSparse = program.values.map((v) => v.role === "input" && v.kind === "float");
  for (const op of program.ops) {
    const activation = op.op === "activation" ? op.attrs["fn"] : op.attrs["activation"];
    if (activation === "relu" || (KEEPS_ZEROS.has(op.op) && mayBeSparse[op.inputs[0]!])) mayBeSparse[op.output] = true;
    if (op.op === "dense" && mayBeSparse[op.inputs[0]!] && (op.attrs["units"] as number) >= MIN_UNITS_FOR_ZERO_CHECK) {
      op.attrs = { ...op.attrs, sparseInput: true };
    }
  }
  return program;
}
