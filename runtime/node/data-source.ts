// Where `nnc train --data SPEC` and friends get their data: `mnist`, a .csv or .jsonl
// file, or a .js/.ts data module.

import { extname } from "node:path";
import { DataError, type Dataset } from "../data.js";
import type { ModelInfo } from "../model.js";
import { loadCsv } from "./csv.js";
import { loadDataModule, type Transpile } from "./data-module.js";
import { loadJsonl } from "./jsonl.js";
import { loadMnist } from "./mnist.js";

export interface DataSets {
  /** Null when the source has no training part (a data module exporting only `test`). */
  train: Dataset | null;
  /** Held-out data where the source has it (mnist, data modules exporting `test`). */
  test: Dataset | null;
}

export interface LoadDataOptions {
  /** False when the data is for prediction and need not hold targets. */
  withTargets?: boolean;
  /** Needed for .ts data modules. */
  transpile?: Transpile;
}

export const DATA_SOURCES = "mnist, a .csv or .jsonl file, or a .js/.ts data module";

export async function loadData(spec: string, info: ModelInfo, options: LoadDataOptions = {}): Promise<DataSets> {
  const withTargets = options.withTargets ?? true;
  if (spec === "mnist") return loadMnist(info);
  switch (extname(spec).toLowerCase()) {
    case ".csv":
      return { train: loadCsv(spec, info, withTargets), test: null };
    case ".jsonl":
    case ".ndjson":
      return { train: loadJsonl(spec, info, withTargets), test: null };
    case ".js":
    case ".mjs":
    case ".ts":
    case ".mts":
      return loadDataModule(spec, info, { withTargets, ...(options.transpile ? { transpile: options.transpile } : {}) });
    default:
      throw new DataError(`${spec}: unknown kind of data; use ${DATA_SOURCES}`);
  }
}
