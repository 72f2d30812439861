// What `nnc train`, `eval` and `predict` share (and `compile`, its error reporting): the model loaded in memory, its data, its
// weights file, and turning every failure of those into one printed line and exit code 1.

import { DEFAULT_BATCH } from "../compiler/library/index.js";
import { createRequire } from "node:module";
import { chooseBackend, type Backend } from "../compiler/compile.js";
import { loadModel, type LoadedModel } from "../compiler/load.js";
import { ModelSourceError } from "../compiler/model-source.js";
import { DataError, type Dataset } from "../runtime/data.js";
import { MAX_BATCH } from "../runtime/limits.js";
import type { CompiledModel, CreateOptions, ModelInfo, ModelModule } from "../runtime/model.js";
import { loadData, type DataSets } from "../runtime/node/data-source.js";
import { defaultThreads, useNodeThreads } from "../runtime/node/threads.js";
import { MAX_THREADS } from "../runtime/wasm.js";
import { UsageError, type OptionSpec, type ParsedArgs } from "./args.js";
import type { Io } from "./command.js";

/** Errors whose message is already one line for the user: the runtime's, the model loader's and the back end's. */
const USER_ERRORS = new Set(["ModelSourceError", "LoweringError", "DataError", "FileError", "SafetensorsError", "CheckpointError", "TrainingError", "ExportError"]);

/** Runs a command body, printing a user error's message (not its stack) and returning 1. */
export async function reportingUserErrors(io: Io, body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (error) {
    if (error instanceof Error && (USER_ERRORS.has(error.name) || error instanceof ModelSourceError)) {
      io.stderr.write(`${error.message}\n`);
      return 1;
    }
    throw error;
  }
}

/** `--backend`, for compile, train, eval and predict. */
export const backendOptionSpec: OptionSpec = {
  name: "backend",
  kind: "string",
  valueName: "wasm|js",
  doc: "kernels: WebAssembly SIMD or JavaScript (default wasm where this engine has SIMD and the model is float32)",
};

export const modelOptions: OptionSpec[] = [
  { name: "data", kind: "string", valueName: "SPEC", doc: "mnist, a .csv or .jsonl file, or a .js/.ts data module" },
  { name: "model", kind: "string", valueName: "NAME", doc: "the model to use, when the file defines several" },
  { name: "dtype", kind: "string", valueName: "float32|float64", doc: "element type of every tensor (default float32)" },
  { name: "batch", kind: "string", valueName: "N", doc: "batch size (default the file's train { batch }, else 32)" },
  backendOptionSpec,
  { name: "threads", kind: "string", valueName: "N", doc: "threads the WebAssembly kernels run on (default the cores available, where train's first steps run faster on them than on one; results are the same for any N)" },
];

/** `--threads N`, else the cores this process may use. */
export function threadsOption(args: ParsedArgs): number {
  return args.integer("threads", 1, MAX_THREADS) ?? defaultThreads();
}

export function backendOption(args: ParsedArgs): Backend | undefined {
  const value = args.string("backend");
  if (value === undefined || value === "wasm" || value === "js") return value;
  throw new UsageError(`--backend must be wasm or js, got '${value}'`);
}

/** What `eval` and `predict` add: the trained weights, and which part of the data. */
export const trainedModelOptions: OptionSpec[] = [
  { name: "weights", short: "w", kind: "string", valueName: "W.safetensors", doc: "checkpoint or weights file, e.g. from `nnc train --save`" },
  { name: "split", kind: "string", valueName: "train|test", doc: "which part of the data (default the held-out part where there is one)" },
];

export function dtypeOption(args: ParsedArgs): "float32" | "float64" {
  const value = args.string("dtype");
  if (value === undefined || value === "float32" || value === "float64") return value ?? "float32";
  throw new UsageError(`--dtype must be float32 or float64, got '${value}'`);
}

export function modelFile(args: ParsedArgs, command: string): string {
  const [file, ...extra] = args.positionals;
  if (file === undefined) throw new UsageError(`no model file: nnc ${command} FILE.nn --data SPEC`);
  if (extra.length > 0) {
    const data = extra.find((path) => path === "mnist" || /\.(csv|jsonl|[cm]?[jt]s)$/i.test(path));
    // `nnc train m.nn data.csv` reads naturally; the data has a flag of its own.
    if (data !== undefined && extra.length === 1 && args.string("data") === undefined) {
      throw new UsageError(`${command} takes one model file; to use ${data} as the data, write --data ${data}: nnc ${command} ${file} --data ${data}`);
    }
    throw new UsageError(`${command} takes one model file, got ${args.positionals.length}`);
  }
  return file;
}

export function dataOption(args: ParsedArgs, command: string): string {
  const spec = args.string("data");
  if (spec === undefined) throw new UsageError(`${command} needs --data SPEC (mnist, a .csv or .jsonl file, or a .js/.ts data module)`);
  return spec;
}

/** The model of `file` loaded in memory, for the back end `--backend` chooses (its note, if any, on stderr). */
export async function loadForRun(file: string, args: ParsedArgs, io: Io): Promise<LoadedModel> {
  const model = args.string("model");
  const dtype = dtypeOption(args);
  const { backend, note } = chooseBackend(backendOption(args), dtype);
  threadsOption(args);
  if (note !== null) io.stderr.write(`${note}\n`);
  return loadModel(file, { dtype, backend, ...(model !== undefined ? { model } : {}) });
}

/**
 * TypeScript data modules are transpiled here, so that runtime/ need not depend on a
 * compiler. TypeScript is loaded only for them (importing it costs about a second), from the
 * user's project: it is not a dependency of neuron, whose users mostly have it already.
 */
async function typescriptTranspiler(spec: string): Promise<(source: string, fileName: string) => string> {
  let ts: typeof import("typescript");
  try {
    ts = createRequire(import.meta.url)("typescript") as typeof import("typescript");
  } catch {
    throw new DataError(`${spec}: a TypeScript data module needs the 'typescript' package; install it (npm install --save-dev typescript) or write the module as .js`);
  }
  return (source, fileName) => {
    const output = ts.transpileModule(source, {
      fileName,
      reportDiagnostics: true,
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    });
    // transpileModule emits something even for broken syntax; running that would only
    // fail later, far from the mistake (or not at all, with an empty module).
    const first = output.diagnostics?.find((d) => d.category === ts.DiagnosticCategory.Error);
    if (first !== undefined) {
      const message = ts.flattenDiagnosticMessageText(first.messageText, " ");
      const place = first.file !== undefined && first.start !== undefined ? first.file.getLineAndCharacterOfPosition(first.start) : null;
      throw new DataError(`${fileName}${place !== null ? `:${place.line + 1}:${place.character + 1}` : ""}: syntax error in the data module: ${message}`);
    }
    return output.outputText;
  };
}

export async function loadDataFor(spec: string, info: ModelInfo, withTargets: boolean): Promise<DataSets> {
  const transpile = /\.[cm]?ts$/.test(spec) ? await typescriptTranspiler(spec) : undefined;
  return loadData(spec, info, { withTargets, ...(transpile !== undefined ? { transpile } : {}) });
}

/** `--split train|test`, checked before anything is loaded. */
export function splitOption(args: ParsedArgs): "train" | "test" | undefined {
  const split = args.string("split");
  if (split !== undefined && split !== "train" && split !== "test") throw new UsageError(`--split must be train or test, got '${split}'`);
  return split;
}

/** The part of the data `eval` and `predict` use: `--split`, else the held-out part where there is one. */
export function chooseSplit(sets: DataSets, split: "train" | "test" | undefined, spec: string): Dataset {
  const wanted = split ?? (sets.test !== null ? "test" : "train");
  const chosen = wanted === "test" ? sets.test : sets.train;
  if (chosen === null) throw new UsageError(`${spec} has no ${wanted} data${wanted === "test" ? "; use --split train" : ""}`);
  return chosen;
}

/** `--weights W`: what `eval` and `predict` run, written by `nnc train --save`. */
export function weightsOption(args: ParsedArgs, command: string): string {
  const path = args.string("weights");
  if (path === undefined) throw new UsageError(`${command} needs --weights W.safetensors (written by \`nnc train FILE --data SPEC --save W.safetensors\`)`);
  return path;
}

/** `--batch N` alone, checked before anything is loaded. */
export function batchFlag(args: ParsedArgs): number | undefined {
  return args.integer("batch", 1, MAX_BATCH);
}

/**
 * `--batch N`, else the file's `train { batch }`, else 32. Given the number of samples, a
 * larger batch is cut to them: buffers for samples that do not exist would only take memory.
 */
export function batchOption(args: ParsedArgs, info: ModelInfo, samples?: number): number {
  const batch = batchFlag(args) ?? info.train.batch ?? DEFAULT_BATCH;
  return samples === undefined ? batch : Math.max(1, Math.min(batch, samples));
}

/**
 * The model with its buffers for `maxBatch` samples. Too large a batch for the machine's
 * memory surfaces as a RangeError of the typed-array allocation; it becomes a usage error
 * naming the batch and where it came from.
 */
export function createModel(module: ModelModule, options: CreateOptions & { maxBatch: number }, args: ParsedArgs): CompiledModel {
  useNodeThreads();
  try {
    return module.create({ threads: threadsOption(args), ...options });
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    const from = args.has("batch") ? "--batch" : "the file's train { batch }";
    throw new UsageError(
      `model ${module.info.name} cannot allocate its buffers for a batch of ${options.maxBatch.toLocaleString("en-US")} samples (${error.message}): give a smaller ${from === "--batch" ? "--batch N" : "--batch N, or lower train { batch }"}`,
    );
  }
}
