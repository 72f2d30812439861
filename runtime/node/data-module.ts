// Data written as code: a .js/.mjs or .ts module exporting its training and test samples.
//
//   export function train(): Sample[]   // or `export const train: Sample[] = [...]`
//   export function test(): Sample[]    // optional; functions may also return a Promise
//
// where a Sample is an object with a field per model input and target, tensors as nested
// arrays shaped as declared (or flat, row-major), e.g. { tokens: [3, 1, 4], reversed: [4, 1, 3] }.
//
// Node cannot import TypeScript by itself, and runtime/ must not depend on a compiler, so a
// .ts module needs a `transpile` function from the caller (the CLI passes one built on
// `ts.transpileModule`). The JavaScript goes to a private temporary folder, never beside the
// user's file (whose folder may be read-only), and a module loader hook serves it under the
// module's own URL, so that its relative imports and `import.meta.url` resolve as before.

import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { register } from "node:module";
import { tmpdir } from "node:os";
import { extname, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { DataError, datasetFromSamples, describeThrown, type Dataset, type Sample } from "../data.js";
import type { ModelInfo } from "../model.js";
import { readTextFile, writeFileAtomic } from "./files.js";

/** TypeScript source to JavaScript (an ES module); throws a one-line error for a syntax error. */
export type Transpile = (source: string, fileName: string) => string;

export interface DataModuleSets {
  train: Dataset | null;
  test: Dataset | null;
}

const TYPESCRIPT = new Set([".ts", ".mts"]);

/**
 * The query parameter of a TypeScript module's URL naming the folder that holds its
 * JavaScript (the folder, not the file: a query ending in `.mjs` would make other loaders,
 * such as vitest's, take the TypeScript for JavaScript).
 */
const TRANSPILED = "nnc-transpiled";
const TRANSPILED_FILE = "module.mjs";

/**
 * The loader hook (it runs on Node's loader thread, so it is given as source): a URL that
 * carries TRANSPILED is loaded from that folder's file, as an ES module; every other URL as usual.
 */
const LOADER_HOOK = `
import { readFile } from "node:fs/promises";
import { join } from "node:path";
export async function load(url, context, nextLoad) {
  if (url.startsWith("file:")) {
    const folder = new URL(url).searchParams.get(${JSON.stringify(TRANSPILED)});
    if (folder !== null) return { format: "module", source: await readFile(join(folder, ${JSON.stringify(TRANSPILED_FILE)}), "utf8"), shortCircuit: true };
  }
  return nextLoad(url, context);
}
`;

let hookRegistered = false;

function registerLoaderHook(): void {
  if (hookRegistered) return;
  register(`data:text/javascript,${encodeURIComponent(LOADER_HOOK)}`);
  hookRegistered = true;
}

/**
 * Waits for `promise`, or fails when the event loop runs dry while it is pending: then
 * nothing is left that could settle it (a top-level `await` of a promise that never
 * resolves), and Node would otherwise exit with code 13 and no word. No timeout: a module
 * that takes long to compute its data is not stuck.
 */
function unlessStuck<T>(promise: Promise<T>, stuck: () => Error): Promise<T> {
  return new Promise<T>((resolvePromise, reject) => {
    const onIdle = () => reject(stuck());
    process.once("beforeExit", onIdle);
    promise.then(
      (value) => {
        process.off("beforeExit", onIdle);
        resolvePromise(value);
      },
      (error: unknown) => {
        process.off("beforeExit", onIdle);
        reject(error);
      },
    );
  });
}

async function importModule(path: string, transpile: Transpile | undefined): Promise<Record<string, unknown>> {
  const url = pathToFileURL(resolve(path));
  const never = () => new DataError(`${path}: the data module never finished loading (a top-level await of a promise that never settles?)`);
  if (!TYPESCRIPT.has(extname(path))) return unlessStuck(import(url.href) as Promise<Record<string, unknown>>, never);
  if (transpile === undefined) {
    throw new DataError(`${path}: a TypeScript data module needs a transpiler here; compile it to .js or load it through \`nnc\``);
  }
  const javascript = transpile(readTextFile(path), path);
  const folder = mkdtempSync(join(tmpdir(), "nnc-data-"));
  try {
    writeFileAtomic(join(folder, TRANSPILED_FILE), javascript);
    registerLoaderHook();
    url.searchParams.set(TRANSPILED, folder);
    return await unlessStuck(import(url.href) as Promise<Record<string, unknown>>, never);
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

/**
 * Where a JavaScript module's syntax error is: V8 does not say for `import()`, so the file
 * is checked again by `node --check`, whose report starts `FILE:LINE`, the line, and a caret.
 */
function syntaxErrorPlace(path: string): string | null {
  const check = spawnSync(process.execPath, ["--check", resolve(path)], { encoding: "utf8", timeout: 30_000 });
  const lines = (check.stderr ?? "").split("\n");
  const at = lines.findIndex((line) => /:\d+$/.test(line));
  if (at < 0) return null;
  const line = /:(\d+)$/.exec(lines[at]!)![1]!;
  const caret = lines[at + 2]?.indexOf("^") ?? -1;
  return caret >= 0 ? `${line}:${caret + 1}` : line;
}

/** Where a module's top-level code threw, from the first stack frame in the module itself. */
function throwPlace(error: unknown, path: string): string | null {
  const stack = error instanceof Error && typeof error.stack === "string" ? error.stack : "";
  const frame = new RegExp(`${escapeRegExp(pathToFileURL(resolve(path)).href)}(?:\\?[^:]*)?:(\\d+):(\\d+)`).exec(stack);
  return frame === null ? null : `${frame[1]}:${frame[2]}`;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function loadFailure(error: unknown, path: string): DataError {
  const message = describeThrown(error);
  if (error instanceof SyntaxError && !TYPESCRIPT.has(extname(path))) {
    const place = syntaxErrorPlace(path);
    if (place !== null) return new DataError(`${path}:${place}: syntax error in the data module: ${message}`);
  }
  const place = TYPESCRIPT.has(extname(path)) ? null : throwPlace(error, path);
  return new DataError(`${place !== null ? `${path}:${place}` : path}: cannot load the data module: ${message}`);
}

async function samplesOf(exported: unknown, name: string, path: string): Promise<Sample[] | null> {
  if (exported === undefined) return null;
  let value: unknown = exported;
  try {
    if (typeof value === "function") {
      const returned: unknown = (value as () => unknown)();
      value = await unlessStuck(Promise.resolve(returned), () => new DataError(`${path}: ${name}() returned a promise that never settles`));
    }
  } catch (error) {
    if (error instanceof DataError) throw error;
    throw new DataError(`${path}: ${name}() failed: ${describeThrown(error)}`);
  }
  if (!Array.isArray(value)) {
    throw new DataError(`${path}: export '${name}' must be an array of samples or a function returning one, got ${value === null ? "null" : typeof value}`);
  }
  return value as Sample[];
}

/** Imports a data module and checks its `train` and `test` samples against the model. */
export async function loadDataModule(path: string, info: ModelInfo, options: { withTargets?: boolean; transpile?: Transpile } = {}): Promise<DataModuleSets> {
  let module: Record<string, unknown>;
  try {
    module = await importModule(path, options.transpile);
  } catch (error) {
    if (error instanceof DataError || (error instanceof Error && error.name === "FileError")) throw error;
    throw loadFailure(error, path);
  }
  const withTargets = options.withTargets ?? true;
  const build = async (name: "train" | "test"): Promise<Dataset | null> => {
    const samples = await samplesOf(module[name], name, path);
    return samples === null ? null : datasetFromSamples(info, samples, withTargets, { source: path, where: (i) => `${name}[${i}]` });
  };
  const sets = { train: await build("train"), test: await build("test") };
  if (sets.train === null && sets.test === null) {
    throw new DataError(`${path}: exports neither 'train' nor 'test'; export e.g. \`export function train(): Sample[]\``);
  }
  return sets;
}
