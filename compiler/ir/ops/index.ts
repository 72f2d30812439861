// The op registry: every IR op by name, and from the ops the lowering of every library entry
// they implement (`OpDef.lowers`). A new op is one file beside this one (shape rule,
// lowering, kernels) and one import here; test/compiler/backend/every-entry.test.ts compiles
// every library entry, so one the back end cannot lower fails a test.

import { activation } from "./activation.js";
import { attention } from "./attention.js";
import { batchNorm } from "./batch_norm.js";
import { conv2d } from "./conv2d.js";
import { embedding } from "./embedding.js";
import { groupNorm } from "./group_norm.js";
import { gru } from "./gru.js";
import { layerNorm } from "./layer_norm.js";
import { lif } from "./lif.js";
import { lstm } from "./lstm.js";
import { avgPool2d, maxPool2d } from "./pool.js";
import { positional } from "./positional.js";
import { rateEncode } from "./rate_encode.js";
import { concat } from "./concat.js";
import { dense } from "./dense.js";
import { dropout } from "./dropout.js";
import { add, mul, sub } from "./elementwise.js";
import type { Lowering } from "../lowering.js";
import type { OpDef } from "./op.js";
import { reshape } from "./reshape.js";
import { scale } from "./scale.js";
import { softmax } from "./softmax.js";
import { last, meanTime, repeat, sumTime } from "./time.js";

const all: readonly OpDef[] = [
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
  groupNorm,
  embedding,
  positional,
  attention,
  lstm,
  gru,
  lif,
  repeat,
  rateEncode,
  sumTime,
  meanTime,
  last,
];

function registry<T>(entries: Iterable<[string, T]>, what: string): ReadonlyMap<string, T> {
  const map = new Map<string, T>();
  for (const [name, value] of entries) {
    if (map.has(name)) throw new Error(`internal error: ${what} '${name}' is registered twice`);
    map.set(name, value);
  }
  return map;
}

export const ops: Readonly<Record<string, OpDef>> = Object.fromEntries(registry(all.map((def) => [def.name, def]), "IR op"));

/** Library entry name to its lowering rule, from every op's `lowers`. */
export const lowerings: ReadonlyMap<string, Lowering> = registry(
  all.flatMap((def) => Object.entries(def.lowers ?? {})),
  "lowering of",
);

export function opDef(name: string): OpDef {
  const def = ops[name];
  if (!def) throw new Error(`internal error: no IR op '${name}'`);
  return def;
}
