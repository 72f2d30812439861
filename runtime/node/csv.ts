// CSV data: one sample per row, a header naming the columns. A scalar field is one column
// `name`; a tensor field is flattened row-major into columns `name.0`, `name.1`, ...
// (a one-value field may also be written `name`). Values are plain numbers; no quoting.

import { allocateColumn, checkValue, DataError, formatShape, requiredTensors, sampleSize, storeValue, type Dataset, type TensorValues } from "../data.js";
import type { ModelInfo, TensorInfo } from "../model.js";
import { readTextFile } from "./files.js";

/** The column names a tensor is written as, in flattened order. */
export function csvColumns(tensor: TensorInfo): string[] {
  if (tensor.shape.length === 0) return [tensor.name];
  return Array.from({ length: sampleSize(tensor) }, (_, i) => `${tensor.name}.${i}`);
}

function splitRow(line: string): string[] {
  return line.split(",").map((cell) => cell.trim());
}

/** Parses CSV text (named `file` in messages) into a Dataset checked against the model. */
export function parseCsv(text: string, file: string, info: ModelInfo, withTargets: boolean): Dataset {
  const lines = text.split(/\r?\n/);
  const rows: { line: number; cells: string[] }[] = [];
  lines.forEach((line, i) => {
    if (i > 0 && line.trim() !== "") rows.push({ line: i + 1, cells: splitRow(line) });
  });
  if (lines.length === 0 || lines[0]!.trim() === "") {
    throw new DataError(`${file}: line 1: expected a header naming the columns (e.g. ${requiredTensors(info, withTargets).flatMap(({ tensor }) => csvColumns(tensor)).join(",")})`);
  }
  const header = splitRow(lines[0]!.replace(/^\uFEFF/, ""));
  if (header.some((name) => name.includes('"'))) throw new DataError(`${file}: line 1: quoted column names are not supported; write plain names`);
  const position = new Map<string, number>();
  header.forEach((name, i) => {
    if (position.has(name)) throw new DataError(`${file}: line 1: column '${name}' appears twice`);
    position.set(name, i);
  });

  // Which column feeds each value of each tensor.
  const used = new Set<string>();
  const fields = requiredTensors(info, withTargets).map(({ tensor, role }) => {
    let names = csvColumns(tensor);
    if (sampleSize(tensor) === 1 && !position.has(names[0]!) && position.has(tensor.name)) names = [tensor.name];
    for (const name of names) {
      if (!position.has(name)) {
        const layout = tensor.shape.length === 0 ? `column '${tensor.name}'` : `columns ${names[0]} ... ${names.at(-1)} (${formatShape(tensor.shape)} flattened row-major)`;
        throw new DataError(`${file}: line 1: missing column '${name}' for ${role} '${tensor.name}', which is written as ${layout}`);
      }
      used.add(name);
    }
    return { tensor, names, columns: names.map((n) => position.get(n)!), values: allocateColumn(tensor, rows.length, info.dtype) };
  });
  const known = new Set([...info.inputs, ...info.targets].flatMap((t) => [...csvColumns(t), t.name]));
  for (const name of header) {
    if (!used.has(name) && !known.has(name)) {
      throw new DataError(`${file}: line 1: unknown column '${name}'; model ${info.name} reads ${[...used].join(", ")}`);
    }
  }

  rows.forEach(({ line, cells }, r) => {
    if (cells.length !== header.length) {
      throw new DataError(`${file}: line ${line}: ${cells.length} values, but the header has ${header.length} columns`);
    }
    for (const { tensor, names, columns, values } of fields) {
      writeRow(tensor, names, columns, values, cells, r, `${file}: line ${line}`);
    }
  });

  const pick = (list: TensorInfo[]) => Object.fromEntries(fields.filter((f) => list.includes(f.tensor)).map((f) => [f.tensor.name, f.values]));
  return { size: rows.length, inputs: pick(info.inputs), targets: pick(info.targets) };
}

function writeRow(tensor: TensorInfo, names: string[], columns: number[], values: TensorValues, cells: string[], row: number, at: string): void {
  const base = row * columns.length;
  for (let k = 0; k < columns.length; k++) {
    const cell = cells[columns[k]!]!;
    const value = cell === "" ? NaN : Number(cell);
    if (Number.isNaN(value)) throw new DataError(`${at}, column '${names[k]}': ${cell === "" ? "empty value" : `'${cell}' is not a number`}`);
    const problem = checkValue(tensor, value) ?? storeValue(values, base + k, value);
    if (problem !== null) throw new DataError(`${at}, column '${names[k]}': ${problem}`);
  }
}

export function loadCsv(path: string, info: ModelInfo, withTargets = true): Dataset {
  return parseCsv(readTextFile(path), path, info, withTargets);
}
