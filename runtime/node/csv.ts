// CSV data: one sample per row, a header naming the columns. A scalar field is one column
// `name`; a tensor field is flattened row-major into columns `name.0`, `name.1`, ...
// (a one-value field may also be written `name`).
//
// The syntax is RFC 4180 as pandas, Excel, Python's csv module and PostgreSQL COPY write it:
// fields may be quoted ("1.5", "x.0"), a doubled quote stands for a quote inside a quoted
// field, and a quoted field may hold commas and line breaks. Also accepted: a UTF-8 byte
// order mark, CRLF or LF line endings, a last line with or without its newline, blank lines,
// and spaces around fields (also around quoted ones).

import { allocateColumn, checkValue, DataError, formatShape, requiredTensors, sampleSize, storeValue, type Dataset, type TensorValues } from "../data.js";
import type { ModelInfo, TensorInfo } from "../model.js";
import { readTextFile } from "./files.js";

/** The column names a tensor is written as, in flattened order. */
export function csvColumns(tensor: TensorInfo): string[] {
  if (tensor.shape.length === 0) return [tensor.name];
  return Array.from({ length: sampleSize(tensor) }, (_, i) => `${tensor.name}.${i}`);
}

const QUOTE = 34; // "
const COMMA = 44;
const NEWLINE = 10;
const RETURN = 13;
const SPACE = 32;
const TAB = 9;

/**
 * Reads CSV text record by record. A record usually is one line; one with a quoted field
 * may span several, so `line` (where the current record starts) is counted from the line
 * breaks actually passed, and messages about later rows stay right.
 *
 * Lines without a quote, nearly all of a numeric file, take a fast path: they are cut at
 * commas with no character-by-character scan.
 */
class CsvRecords {
  /** The 1-based line where the record last returned by `next` starts. */
  line = 0;
  private position = 0;
  private lineNumber = 1;
  private lineStart = 0;
  /** The offset of the first quote at or after `position` (text.length when there is none); found once, not per line. */
  private nextQuote = -1;

  constructor(
    private readonly text: string,
    private readonly file: string,
  ) {
    if (text.charCodeAt(0) === 0xfeff) this.position = this.lineStart = 1;
  }

  /** The offset just past the current record: the rest of the text is still to read. */
  get offset(): number {
    return this.position;
  }

  /** Fills `cells` with the next non-blank record's fields, unquoted and trimmed; false at the end of the text. */
  next(cells: string[]): boolean {
    const text = this.text;
    while (this.position < text.length) {
      const start = this.position;
      this.line = this.lineNumber;
      this.lineStart = start;
      let end = text.indexOf("\n", start);
      if (end < 0) end = text.length;
      if (this.nextQuote < start) {
        this.nextQuote = text.indexOf('"', start);
        if (this.nextQuote < 0) this.nextQuote = text.length;
      }
      if (this.nextQuote < end) {
        this.readQuotedRecord(cells);
        return true;
      }
      this.position = end + 1;
      this.lineNumber++;
      if (isBlank(text, start, end)) continue;
      // Searched within the line alone: a search of the whole text would rescan the rest of a file without commas on every line.
      const line = text.slice(start, end);
      cells.length = 0;
      let from = 0;
      for (let comma = line.indexOf(","); comma >= 0; comma = line.indexOf(",", from)) {
        cells.push(line.slice(from, comma).trim());
        from = comma + 1;
      }
      cells.push(line.slice(from).trim());
      return true;
    }
    return false;
  }

  /** The slow path: a record with a quote in it, read character by character. */
  private readQuotedRecord(cells: string[]): void {
    const text = this.text;
    cells.length = 0;
    let i = this.position;
    for (;;) {
      while (text.charCodeAt(i) === SPACE || text.charCodeAt(i) === TAB) i++;
      let c: number;
      if (text.charCodeAt(i) === QUOTE) {
        const openLine = this.lineNumber;
        const openColumn = i - this.lineStart + 1;
        let value = "";
        let from = i + 1;
        for (;;) {
          const close = text.indexOf('"', from);
          if (close < 0)
            throw new DataError(
              `${this.file}: line ${openLine}: unterminated quoted field starting at column ${openColumn}; close it with a '"' (and write a quote inside it as '""')`,
            );
          this.passLineBreaks(from, close);
          if (text.charCodeAt(close + 1) === QUOTE) {
            value += text.slice(from, close + 1);
            from = close + 2;
            continue;
          }
          value += text.slice(from, close);
          i = close + 1;
          break;
        }
        while ((c = text.charCodeAt(i)) === SPACE || c === TAB || c === RETURN) i++;
        if (i < text.length && c !== COMMA && c !== NEWLINE) {
          throw new DataError(
            `${this.file}: line ${this.lineNumber}: unexpected ${JSON.stringify(text[i])} at column ${i - this.lineStart + 1}, after a quoted field; a field ends at its closing quote (write a quote inside it as '""')`,
          );
        }
        cells.push(value.trim());
      } else {
        const from = i;
        while (i < text.length && (c = text.charCodeAt(i)) !== COMMA && c !== NEWLINE) {
          if (c === QUOTE) {
            throw new DataError(
              `${this.file}: line ${this.lineNumber}: a quote at column ${i - this.lineStart + 1} inside an unquoted field; quote the whole field and double the quotes inside it ("a ""b""")`,
            );
          }
          i++;
        }
        cells.push(text.slice(from, i).trim());
      }
      if (i >= text.length || text.charCodeAt(i) === NEWLINE) break;
      i++; // past the comma
    }
    this.position = i + 1;
    this.lineNumber++;
    this.lineStart = this.position;
  }

  /** Counts the line breaks inside a quoted field, for the line and column numbers of what follows. */
  private passLineBreaks(from: number, to: number): void {
    for (let at = this.text.indexOf("\n", from); at >= 0 && at < to; at = this.text.indexOf("\n", at + 1)) {
      this.lineNumber++;
      this.lineStart = at + 1;
    }
  }
}

function isBlank(text: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c !== SPACE && c !== TAB && c !== RETURN) return false;
  }
  return true;
}

/** At most how many records follow `offset`: one per line break, plus an unterminated last line. */
function recordsAtMost(text: string, offset: number): number {
  if (offset >= text.length) return 0;
  let count = text.charCodeAt(text.length - 1) === NEWLINE ? 0 : 1;
  for (let at = text.indexOf("\n", offset); at >= 0; at = text.indexOf("\n", at + 1)) count++;
  return count;
}

/** A list of names short enough for a one-line message. */
function listNames(names: readonly string[]): string {
  if (names.length <= 8) return names.join(", ");
  return `${names.slice(0, 3).join(", ")}, ..., ${names.at(-1)}`;
}

/** A field's text as a message shows it: quoted, escaped if it holds line breaks or quotes, cut if long. */
function showValue(cell: string): string {
  const shown = cell.length > 40 ? `${cell.slice(0, 40)}...` : cell;
  return /[\u0000-\u001f']/.test(shown) ? JSON.stringify(shown) : `'${shown}'`;
}

/** A header read as one column because the file separates values with something else than commas (as Excel does in some locales). */
function separatorHint(header: readonly string[]): string {
  if (header.length !== 1) return "";
  if (header[0]!.includes(";")) return " (the file separates values with ';'; a CSV file here separates them with ',')";
  if (header[0]!.includes("\t")) return " (the file separates values with tabs; a CSV file here separates them with ',')";
  return "";
}

/** Why a field is not a number, for the spellings of a missing value and of a decimal comma. */
function notANumberHint(cell: string): string {
  if (/^(nan|na|n\/a|null|none|-)$/i.test(cell)) return " (a missing value: fill it in or drop the row)";
  if (/^[-+]?\d+,\d+$/.test(cell)) return ` (a decimal comma? write ${cell.replace(",", ".")})`;
  return "";
}

/** Parses CSV text (named `file` in messages) into a Dataset checked against the model. */
export function parseCsv(text: string, file: string, info: ModelInfo, withTargets: boolean): Dataset {
  const records = new CsvRecords(text, file);
  const header = readHeader(records, file, info, withTargets);
  const at = `${file}: line ${records.line}`;
  // Columns are sized for the most rows the rest of the text can hold, and cut to the rows found.
  const capacity = recordsAtMost(text, records.offset);
  const fields = bindFields(header, at, info, withTargets).map((field) => ({ ...field, values: allocateColumn(field.tensor, capacity, info.dtype) }));

  const cells: string[] = [];
  let rows = 0;
  while (records.next(cells)) {
    const row = `${file}: line ${records.line}`;
    if (cells.length !== header.length) {
      const trailingComma = cells.length === header.length + 1 && cells.at(-1) === "" ? " (a comma at the end of the line?)" : "";
      throw new DataError(`${row}: ${cells.length} values, but the header has ${header.length} columns${trailingComma}`);
    }
    for (const { tensor, names, columns, values } of fields) writeRow(tensor, names, columns, values, cells, rows, row);
    rows++;
  }

  const trimmed = (values: TensorValues, tensor: TensorInfo) => (rows === capacity ? values : values.slice(0, rows * sampleSize(tensor)));
  const pick = (list: TensorInfo[]) =>
    Object.fromEntries(fields.filter((f) => list.includes(f.tensor)).map((f) => [f.tensor.name, trimmed(f.values, f.tensor)]));
  return { size: rows, inputs: pick(info.inputs), targets: pick(info.targets) };
}

/** Reads the header, the first non-blank record: distinct, non-empty names. */
function readHeader(records: CsvRecords, file: string, info: ModelInfo, withTargets: boolean): string[] {
  const example = requiredTensors(info, withTargets)
    .flatMap(({ tensor }) => csvColumns(tensor))
    .join(",");
  const header: string[] = [];
  if (!records.next(header)) throw new DataError(`${file}: line 1: expected a header naming the columns (e.g. ${example})`);
  const at = `${file}: line ${records.line}`;
  if (header.every((name) => name !== "" && !Number.isNaN(Number(name)))) {
    throw new DataError(`${at}: the first line holds numbers (${listNames(header)}), not column names; start the file with a header such as ${example}`);
  }
  const seen = new Set<string>();
  header.forEach((name, i) => {
    if (name === "") {
      const pandasIndex = i === 0 ? " (pandas writes its index so: save with to_csv(..., index=False))" : "";
      throw new DataError(`${at}: column ${i + 1} has no name${pandasIndex}`);
    }
    if (seen.has(name)) throw new DataError(`${at}: column '${name}' appears twice`);
    seen.add(name);
  });
  return header;
}

/** Which header column feeds each value of each tensor the model reads; `at` names the header line. */
function bindFields(
  header: readonly string[],
  at: string,
  info: ModelInfo,
  withTargets: boolean,
): { tensor: TensorInfo; names: string[]; columns: number[] }[] {
  const position = new Map(header.map((name, i) => [name, i]));
  const used = new Set<string>();
  const reads: string[] = [];
  const fields = requiredTensors(info, withTargets).map(({ tensor, role }) => {
    let names = csvColumns(tensor);
    if (sampleSize(tensor) === 1 && !position.has(names[0]!) && position.has(tensor.name)) names = [tensor.name];
    const missing = names.filter((name) => !position.has(name));
    if (missing.length > 0) {
      const layout =
        tensor.shape.length === 0 ? `column '${tensor.name}'` : `columns ${names[0]} ... ${names.at(-1)} (${formatShape(tensor.shape)} flattened row-major)`;
      const what = missing.length === 1 ? `column '${missing[0]}'` : `${missing.length} columns (${listNames(missing)})`;
      throw new DataError(
        `${at}: missing ${what} for ${role} '${tensor.name}', which is written as ${layout}; the header has ${listNames(header)}${separatorHint(header)}`,
      );
    }
    for (const name of names) used.add(name);
    reads.push(names.length <= 3 ? names.join(", ") : `${names[0]} ... ${names.at(-1)}`);
    return { tensor, names, columns: names.map((n) => position.get(n)!) };
  });
  // Columns of targets are allowed (and skipped) when predicting.
  const known = new Set([...info.inputs, ...info.targets].flatMap((t) => [...csvColumns(t), t.name]));
  for (const name of header) {
    if (!used.has(name) && !known.has(name)) {
      const pandasIndex = /^Unnamed: \d+$/.test(name) ? " (pandas' index column: save with to_csv(..., index=False))" : "";
      throw new DataError(`${at}: unknown column '${name}'${pandasIndex}; model ${info.name} reads ${reads.join(", ")}`);
    }
  }
  return fields;
}

/**
 * Stores one row's values of a tensor. Float values that store as finite numbers, nearly
 * all of them, take a fast path; anything else goes through the full checks to be explained.
 */
function writeRow(tensor: TensorInfo, names: string[], columns: number[], values: TensorValues, cells: string[], row: number, at: string): void {
  const base = row * columns.length;
  const float = tensor.kind === "float";
  for (let k = 0; k < columns.length; k++) {
    const cell = cells[columns[k]!]!;
    if (float && cell !== "") {
      values[base + k] = Number(cell);
      if (Number.isFinite(values[base + k]!)) continue;
    }
    const problem = checkCell(tensor, cell, values, base + k);
    if (problem !== null) throw new DataError(`${at}, column '${names[k]}': ${problem}`);
  }
}

/** Checks and stores one field, explaining what is wrong with it, or returns null. */
function checkCell(tensor: TensorInfo, cell: string, values: TensorValues, index: number): string | null {
  if (cell === "") return "empty value";
  const value = Number(cell);
  if (Number.isNaN(value)) return `${showValue(cell)} is not a number${notANumberHint(cell)}`;
  if (!Number.isFinite(value)) return `${showValue(cell)} is not a finite number`;
  return checkValue(tensor, value) ?? storeValue(values, index, value);
}

export function loadCsv(path: string, info: ModelInfo, withTargets = true): Dataset {
  return parseCsv(readTextFile(path), path, info, withTargets);
}
