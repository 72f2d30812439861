// Fusion: an activation folds into the dense, conv2d or batch_norm op that produces its
// input, so that the activation is applied in the loop that stores the result and the
// pre-activation tensor is never written. Only activations whose derivative can be read off
// their output qualify (the backward kernel has only y), and only when nothing else reads the
// pre-activation value.

import type { IrProgram } from "./ir.js";
import { consumers } from "./ir.js";
import { activation } from "./ops/activation.js";
import { activations } from "./ops/activations.js";
import { opDef } from "./ops/index.js";
import { attrsOf } from "./ops/op.js";

export function fuseActivations(program: IrProgram): IrProgram {
  const readers = consumers(program);
  const visible = new Set<number>([
    ...program.outputs.map((o) => o.value),
    ...program.losses.map((l) => l.prediction),
  ]);
  const removed = new Set<number>();
  for (const op of program.ops) {
    if (op.op !== activation.name) continue;
    const { fn, alpha } = attrsOf(op, activation);
    const producerId = program.ops.findIndex((p) => p.output === op.inputs[0]);
    const producer = program.ops[producerId];
    if (!producer || !opDef(producer.op).fusesActivation || producer.attrs["activation"] !== undefined) continue;
    const pre = producer.output;
    if (readers[pre]!.length !== 1 || visible.has(pre)) continue;
    const act = activations[fn];
    if (!act?.fromOutput || act.fromOutput("y", { alpha }) === null) continue;
    // The producer's attributes gain its FusedActivation (ops/activations.ts).
    producer.attrs = alpha === undefined ? { ...producer.attrs, activation: fn } : { ...producer.attrs, activation: fn, alpha };
    producer.output = op.output;
    producer.label = `${producer.label} + ${fn}`;
    program.values[op.output]!.name = producer.label;
    removed.add(op.id);
  }
  program.ops = program.ops.filter((op) => !removed.has(op.id));
  program.ops.forEach((op, i) => {
    op.id = i;
  });
  return program;
}
