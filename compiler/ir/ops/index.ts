// The op registry: every IR op by name. A new op is one file beside this one (shape rule,
// kernels) plus one entry here, one lowering rule in ../lower.ts, and its gradient test.

import { activation } from "./activation.js";
import { attention } from "./attention.js";
import { batchNorm } from "./batch_norm.js";
import { conv2d } from "./conv2d.js";
import { embedding } from "./embedding.js";
import { layerNorm } from "./layer_norm.js";
import { avgPool2d, maxPool2d } from "./pool.js";
import { positional } from "./positional.js";
import { concat } from "./concat.js";
import { dense } from "./dense.js";
import { dropout } from "./dropout.js";
import { add, mul, sub } from "./elementwise.js";
import type { OpDef } from "./op.js";
import { reshape } from "./reshape.js";
import { scale } from "./scale.js";
import { softmax } from "./softmax.js";

export const ops: Readonly<Record<string, OpDef>> = Object.fromEntries(
  [
    dense,
    activation,
    softmax,
    add,
    sub,
    mul,
    scale,
    dropout,
    reshape,
    concat,
    conv2d,
    maxPool2d,
    avgPool2d,
    batchNorm,
    layerNorm,
    embedding,
    positional,
    attention,
  ].map((def) => [def.name, def]),
);

export function opDef(name: string): OpDef {
  const def = ops[name];
  if (!def) throw new Error(`internal error: no IR op '${name}'`);
  return def;
}
