// The library: every layer, activation, init scheme, loss, optimizer and schedule the
// language knows, looked up by name. The group files hold the entries; this file only
// gathers them, so adding an entry never touches it.
import { activations } from "./activations.js";
import { inits } from "./inits.js";
import { layers } from "./layers.js";
import { losses } from "./losses.js";
import { normalisations } from "./normalisation.js";
import { recurrents } from "./recurrent.js";
import { spiking, surrogates } from "./spiking.js";
import { DEFAULT_BATCH, optimizers, schedules, trainKeys } from "./optimizers.js";
import type { ArgValue } from "../graph.js";
import type { InitEntry, LayerEntry, LossEntry, OptimizerEntry, ScheduleEntry, SurrogateEntry } from "./types.js";

function byName<T extends { name: string }>(entries: readonly T[]): ReadonlyMap<string, T> {
  const map = new Map<string, T>();
  for (const e of entries) {
    if (map.has(e.name)) throw new Error(`library: '${e.name}' is registered twice`);
    map.set(e.name, e);
  }
  return map;
}

export const layerEntries: ReadonlyMap<string, LayerEntry> = byName([...layers, ...recurrents, ...spiking, ...activations, ...normalisations]);
export const initEntries: ReadonlyMap<string, InitEntry> = byName(inits);
export const lossEntries: ReadonlyMap<string, LossEntry> = byName(losses);
export const optimizerEntries: ReadonlyMap<string, OptimizerEntry> = byName(optimizers);
export const scheduleEntries: ReadonlyMap<string, ScheduleEntry> = byName(schedules);
export const surrogateEntries: ReadonlyMap<string, SurrogateEntry> = byName(surrogates);
export { DEFAULT_BATCH, trainKeys };

/**
 * The arguments as the checker hands them on: every fixed default of the entry filled in
 * where `args` leaves it out (for graphs built without the checker, in tests and composites).
 */
export function withDefaults(entry: string, args: Readonly<Record<string, ArgValue>>): Record<string, ArgValue> {
  const out: Record<string, ArgValue> = {};
  for (const decl of layerEntries.get(entry)?.args ?? []) if (decl.default !== undefined) out[decl.name] = decl.default;
  return { ...out, ...args };
}

export type * from "./types.js";
export { formatShape, formatType } from "./tensor.js";
export { initFromArg } from "./inits.js";
export { isLayerError } from "./types.js";
