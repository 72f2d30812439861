// Reverse-mode differentiation at compile time: from the IR, the backward schedule. No tape
// exists at run time; the emitter writes one backward kernel call per step, in this order.
//
// A value needs a gradient when it depends on a trainable parameter and the loss depends on
// it; everything else (inputs, targets, ints, frozen buffers, branches the loss never reads)
// gets no gradient buffer and no kernel. Walking the ops in reverse, the first consumer to
// reach a value overwrites its gradient and later ones add to it (a value read twice, as in a
// residual `x + f(x)`, sums both contributions), so no buffer is ever cleared.

import type { IrProgram } from "./ir.js";
import type { GradTarget } from "./ops/op.js";
import { opDef } from "./ops/index.js";

export interface LossSeed {
  /** Index into `IrProgram.losses`. */
  loss: number;
  grad: GradTarget;
}

export interface BackwardStep {
  /** Index into `IrProgram.ops`. */
  op: number;
  /** Per input of the op: where its gradient goes, or null. */
  grads: (GradTarget | null)[];
}

export interface BackwardSchedule {
  /** Per value: whether it has a gradient buffer. */
  needsGrad: boolean[];
  /** Loss gradients come first: they start the backward pass. */
  seeds: LossSeed[];
  /** Backward kernels in execution order (reverse program order). */
  steps: BackwardStep[];
}

export function differentiate(program: IrProgram): BackwardSchedule {
  const count = program.values.length;
  const dependsOnParam = new Array<boolean>(count).fill(false);
  for (const p of program.params) if (p.trainable) dependsOnParam[p.value] = true;
  for (const op of program.ops) {
    const def = opDef(op.op);
    if (op.inputs.some((v, i) => dependsOnParam[v] && differentiable(program, def.constantInputs, v, i))) {
      dependsOnParam[op.output] = true;
    }
  }

  const reachesLoss = new Array<boolean>(count).fill(false);
  for (const loss of program.losses) reachesLoss[loss.prediction] = true;
  for (let i = program.ops.length - 1; i >= 0; i--) {
    const op = program.ops[i]!;
    if (!reachesLoss[op.output]) continue;
    const def = opDef(op.op);
    op.inputs.forEach((v, k) => {
      if (differentiable(program, def.constantInputs, v, k)) reachesLoss[v] = true;
    });
  }

  const needsGrad = dependsOnParam.map((d, v) => d && reachesLoss[v]!);
  const written = new Array<boolean>(count).fill(false);
  const claim = (v: number): GradTarget => {
    const grad = { accumulate: written[v]! };
    written[v] = true;
    return grad;
  };

  const seeds: LossSeed[] = [];
  program.losses.forEach((loss, i) => {
    if (needsGrad[loss.prediction]) seeds.push({ loss: i, grad: claim(loss.prediction) });
  });

  const steps: BackwardStep[] = [];
  for (let i = program.ops.length - 1; i >= 0; i--) {
    const op = program.ops[i]!;
    if (!needsGrad[op.output]) continue;
    const def = opDef(op.op);
    const grads = op.inputs.map((v, k) =>
      needsGrad[v] && differentiable(program, def.constantInputs, v, k) ? claim(v) : null,
    );
    if (grads.some((g) => g !== null)) steps.push({ op: i, grads });
  }
  return { needsGrad, seeds, steps };
}

function differentiable(program: IrProgram, constants: readonly number[] | undefined, value: number, input: number): boolean {
  return program.values[value]!.kind === "float" && !(constants?.includes(input) ?? false);
}
