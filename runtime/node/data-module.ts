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
// `ts.transpileModule`). The JavaScript is written beside the source under a hidden name,
// so that the module's own relative imports of .js files still resolve, and removed after.

import { rmSync } from "node:fs";
import { basename, dirname, extname, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { DataError, datasetFromSamples, type Dataset, type Sample } from "../data.js";
import type { ModelInfo } from "../model.js";
import { readTextFile, writeFileAtomic } from "./files.js";

/** TypeScript source to JavaScript (an ES module). */
export type Transpile = (source: string, fileName: string) => string;

export interface DataModuleSets {
  train: Dataset | null;
  test: Dataset | null;
}

const TYPESCRIPT = new Set([".ts", ".mts"]);

async function importModule(path: string, transpile: Transpile | undefined): Promise<Record<string, unknown>> {
  const absolute = resolve(path);
  if (!TYPESCRIPT.has(extname(path))) return (await import(pathToFileURL(absolute).href)) as Record<string, unknown>;
  if (transpile === undefined) {
    throw new DataError(`${path}: a TypeScript data module needs a transpiler here; compile it to .js or load it through \`nnc\``);
  }
  const javascript = transpile(readTextFile(path), path);
  const temporary = join(dirname(absolute), `.${basename(absolute, extname(absolute))}.${process.pid}.${Date.now()}.mjs`);
  writeFileAtomic(temporary, javascript);
  try {
    return (await import(pathToFileURL(temporary).href)) as Record<string, unknown>;
  } finally {
    rmSync(temporary, { force: true });
  }
}

async function samplesOf(exported: unknown, name: string, path: string): Promise<Sample[] | null> {
  if (exported === undefined) return null;
  let value: unknown = exported;
  try {
    if (typeof value === "function") value = await (value as () => unknown)();
  } catch (error) {
    throw new DataError(`${path}: ${name}() failed: ${(error as Error).message}`);
  }
  if (!Array.isArray(value)) {
    throw new DataError(`${path}: export '${name}' must be an array of samples or a function returning one, got ${typeof value}`);
  }
  return value as Sample[];
}

/** Imports a data module and checks its `train` and `test` samples against the model. */
export async function loadDataModule(path: string, info: ModelInfo, options: { withTargets?: boolean; transpile?: Transpile } = {}): Promise<DataModuleSets> {
  let module: Record<string, unknown>;
  try {
    module = await importModule(path, options.transpile);
  } catch (error) {
    if (error instanceof DataError || (error as Error).name === "FileError") throw error;
    throw new DataError(`${path}: cannot load the data module: ${(error as Error).message.split("\n")[0]}`);
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
