// What a model needs in memory before it is created, and refusing a model that cannot fit.
// An emitted model allocates every buffer of its memory plan in its constructor, and the
// optimizer adds its state on the first step: a model of 2e9 parameters passes the checker
// and then dies of exhaustion minutes later. `requireMemory` adds the plan up from the
// checked graph (nothing is allocated) and refuses, in one line naming the figures, a model
// that needs more than the limit: this machine's memory, or NNC_MEMORY_LIMIT.
import { totalmem } from "node:os";
import { formatBytes } from "./check/limits.js";
import { compileToIr } from "./compile.js";
import { planMemory } from "./emit/memory.js";
import type { ModelGraph } from "./graph.js";
import { differentiate } from "./ir/autodiff.js";
import { ModelSourceError } from "./model-source.js";
import { optimizerStateKeys } from "../runtime/optim.js";

export interface MemoryNeed {
  bytes: number;
  /** The parts that add up to `bytes`, largest kinds named as a user thinks of them. */
  parts: { what: string; bytes: number }[];
}

export interface NeedOptions {
  dtype: "float32" | "float64";
  maxBatch: number;
  /** Training adds the optimizer's state (moments, momentum buffers) for every parameter. */
  training: boolean;
}

/** The bytes `create({ maxBatch })` allocates for `graph`, plus the optimizer's state when training. */
export function memoryNeed(graph: ModelGraph, options: NeedOptions): MemoryNeed {
  const program = compileToIr(graph);
  const plan = planMemory(program, differentiate(program), options.dtype);
  const floatBytes = options.dtype === "float64" ? 8 : 4;
  const sums = { parameters: 0, gradients: 0, activations: 0 };
  for (const a of plan.allocations) {
    const elements = a.perSample * options.maxBatch + a.fixed;
    const bytes = elements * (a.type === "F" ? floatBytes : a.type === "Float64Array" ? 8 : 4);
    if (a.watch === "parameter") sums.parameters += bytes;
    else if (a.watch === "gradient") sums.gradients += bytes;
    else sums.activations += bytes;
  }
  const parts = [
    { what: "parameters", bytes: sums.parameters },
    { what: "gradients", bytes: sums.gradients },
  ];
  if (options.training && graph.optimizer) {
    const trainable = program.params.filter((p) => p.trainable);
    const slots = optimizerStateKeys(graph.optimizer, ["p"]).length - 1;
    const elements = trainable.reduce((sum, p) => sum + program.values[p.value]!.size, 0);
    parts.push({ what: `${graph.optimizer.name} state`, bytes: slots * elements * floatBytes });
  }
  parts.push({ what: `activations and scratch at batch ${options.maxBatch}`, bytes: sums.activations });
  return { bytes: parts.reduce((sum, p) => sum + p.bytes, 0), parts };
}

/** NNC_MEMORY_LIMIT (`16G`, `512M`, or bytes) when set, else this machine's memory. */
export function memoryLimit(env: NodeJS.ProcessEnv = process.env): { bytes: number; source: string } {
  const raw = env.NNC_MEMORY_LIMIT?.trim();
  if (raw === undefined || raw === "") return { bytes: totalmem(), source: "this machine's memory" };
  const match = /^(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?$/i.exec(raw);
  if (!match) throw new ModelSourceError(`NNC_MEMORY_LIMIT must be a size such as 16G, 512M or a number of bytes, got '${raw}'`);
  const scale = { "": 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 }[match[2]!.toLowerCase() as "" | "k" | "m" | "g" | "t"];
  return { bytes: Number(match[1]) * scale, source: "NNC_MEMORY_LIMIT" };
}

/** Throws a ModelSourceError naming the need, its parts and the limit when `graph` would not fit. */
export function requireMemory(graph: ModelGraph, options: NeedOptions, limit = memoryLimit()): void {
  const need = memoryNeed(graph, options);
  if (need.bytes <= limit.bytes) return;
  const parts = need.parts.filter((p) => p.bytes > 0).map((p) => `${p.what} ${formatBytes(p.bytes)}`);
  const fix = options.maxBatch > 1 && need.parts[need.parts.length - 1]!.bytes > need.bytes / 2 ? "give a smaller --batch N (or lower train { batch })" : "use a smaller model";
  throw new ModelSourceError(
    `model ${graph.name} needs ${formatBytes(need.bytes)} to ${options.training ? "train" : "run"} (${parts.join(", ")}); the limit is ${formatBytes(limit.bytes)} (${limit.source}): ${fix}, or set NNC_MEMORY_LIMIT to raise the limit`,
  );
}
