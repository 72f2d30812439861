import { mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ts } from "ts-morph";
import { describe, expect, it } from "vitest";
import { DataError } from "../../runtime/data.js";
import type { ModelInfo, TensorInfo } from "../../runtime/model.js";
import { parseCsv } from "../../runtime/node/csv.js";
import { loadData } from "../../runtime/node/data-source.js";
import { parseJsonl } from "../../runtime/node/jsonl.js";
import { loadMnist } from "../../runtime/node/mnist.js";

function modelInfo(name: string, inputs: TensorInfo[], targets: TensorInfo[]): ModelInfo {
  return { name, dtype: "float32", inputs, targets, outputs: [], params: [], losses: ["mse"], optimizer: null, train: {} };
}

const xor = modelInfo("Xor", [{ name: "x", shape: [2], kind: "float" }], [{ name: "y", shape: [1], kind: "float" }]);
const reverse = modelInfo("Reverse", [{ name: "tokens", shape: [8], kind: "int", vocab: 10 }], [{ name: "reversed", shape: [8], kind: "int", vocab: 10 }]);
const mnistMlp = modelInfo("MnistMlp", [{ name: "image", shape: [784], kind: "float" }], [{ name: "digit", shape: [], kind: "int", vocab: 10 }]);
const examples = join(import.meta.dirname, "..", "..", "examples");

const transpile = (source: string, fileName: string) =>
  ts.transpileModule(source, { fileName, compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;

describe("CSV", () => {
  it("loads examples/xor.csv, with the one-value target written as `y`", async () => {
    const { train, test } = await loadData(join(examples, "xor.csv"), xor);
    expect(test).toBeNull();
    expect(train!.size).toBe(4);
    expect(train!.inputs.x).toEqual(Float32Array.of(0, 0, 0, 1, 1, 0, 1, 1));
    expect(train!.targets.y).toEqual(Float32Array.of(0, 1, 1, 0));
  });

  it("reads flattened tensor columns in any order, skipping blank lines and CRLF", () => {
    const data = parseCsv("y.0,x.1,x.0\r\n1,2,3\r\n\r\n0,5,4\r\n", "d.csv", xor, true);
    expect(data.inputs.x).toEqual(Float32Array.of(3, 2, 4, 5));
    expect(data.targets.y).toEqual(Float32Array.of(1, 0));
  });

  it.each([
    ["x.0,y\n1,1\n", /d.csv: line 1: missing column 'x.1' for input 'x', which is written as columns x.0 ... x.1 \(\[2\] flattened row-major\)/],
    ["x.0,x.1,y,z\n1,2,3,4\n", /d.csv: line 1: unknown column 'z'; model Xor reads x.0, x.1, y/],
    ["x.0,x.1,y\n1,2\n", /d.csv: line 2: 2 values, but the header has 3 columns/],
    ["x.0,x.1,y\n1,2,3\n1,abc,3\n", /d.csv: line 3, column 'x.1': 'abc' is not a number/],
    ["x.0,x.1,y\n1,,3\n", /d.csv: line 2, column 'x.1': empty value/],
    ["x.0,x.0,y\n", /column 'x.0' appears twice/],
    ["", /line 1: expected a header naming the columns \(e.g. x.0,x.1,y.0\)/],
  ])("rejects %j with the file, line and column", (text, message) => {
    expect(() => parseCsv(text, "d.csv", xor, true)).toThrow(message);
  });

  it("checks integer fields against their vocabulary", () => {
    const header = [...Array(8).keys()].map((i) => `tokens.${i}`).concat([...Array(8).keys()].map((i) => `reversed.${i}`)).join(",");
    expect(() => parseCsv(`${header}\n${"1,".repeat(15)}10\n`, "r.csv", reverse, true)).toThrow(/r.csv: line 2, column 'reversed.7': 10 is outside int\(10\): ids run from 0 to 9/);
  });

  it("needs no target columns for prediction", () => {
    expect(parseCsv("x.0,x.1\n1,2\n", "p.csv", xor, false).size).toBe(1);
  });
});

describe("JSON lines", () => {
  it("loads nested or flat values, one object per line", () => {
    const data = parseJsonl('{"x": [1, 2], "y": [1]}\n\n{"x": [3, 4], "y": [0]}\n', "d.jsonl", xor, true);
    expect(data.inputs.x).toEqual(Float32Array.of(1, 2, 3, 4));
  });

  it("names the line of bad JSON and of a bad field", () => {
    expect(() => parseJsonl('{"x": [1, 2], "y": [1]}\n{"x": [1, 2\n', "d.jsonl", xor, true)).toThrow(/d.jsonl: line 2: not valid JSON/);
    expect(() => parseJsonl('\n{"x": [1, 2, 3], "y": [1]}\n', "d.jsonl", xor, true)).toThrow(
      /d.jsonl: line 2: field 'x': expected float \[2\], found a list of 3 where 2 belong/,
    );
  });

  it("accepts a byte order mark, CRLF line endings, blank lines and spaces around a line", () => {
    const data = parseJsonl('\uFEFF{"x": [1, 2], "y": [1]}  \r\n\r\n   \r\n\t{"x": [3, 4], "y": [0]}\r\n\r\n', "d.jsonl", xor, true);
    expect(data.inputs.x).toEqual(Float32Array.of(1, 2, 3, 4));
    expect(data.targets.y).toEqual(Float32Array.of(1, 0));
    expect(parseJsonl('{"x": [1, 2], "y": [1]}', "d.jsonl", xor, true).size).toBe(1);
  });

  const suffix = '; each line must be one object such as {"x": [0, 1], "y": [1]}';
  it.each([
    ["a line cut short", '{"x": [1, 2], "y": [1]}\r\n{"x": [1, 2\r\n', "line 2: not valid JSON at column 12: expected ',' or ']' after the list element but the line ends"],
    ["a word where a number belongs", '{"x": [1, abc], "y": [1]}', `line 1: not valid JSON at column 11: expected a value but found "a"`],
    ["NaN from Python's json.dumps", '{"x": [1, NaN], "y": [1]}', "line 1: not valid JSON at column 11: JSON has no NaN or Infinity (Python's json.dumps writes them): fill in missing values, or drop the row"],
    ["a trailing comma", '{"x": [1, 2,], "y": [1]}', `line 1: not valid JSON at column 13: expected a value but found "]"`],
    ["single quotes", "{'x': [1, 2]}", `line 1: not valid JSON at column 2: expected a field name in double quotes but found "'"`],
    ["a missing comma between fields", '{"x": [1, 2] "y": [1]}', `line 1: not valid JSON at column 14: expected ',' or '}' after the field but found "\\""`],
    ["two objects on a line", '{"x": [1, 2], "y": [1]} {"x": [1, 2], "y": [1]}', `line 1: not valid JSON at column 25: expected the line to end after one value but found "{"`],
    ["an unclosed string", '{"x": [1, 2], "y', "line 1: not valid JSON at column 15: the string opened here is not closed on this line"],
    ["a byte order mark's column not counted", '\uFEFF{"x": [1 2]}', `line 1: not valid JSON at column 10: expected ',' or ']' after the list element but found "2"`],
    ["a pretty-printed JSON array", '[\n  {"x": [1, 2], "y": [1]}\n]\n', "line 1: not valid JSON at column 2: expected a value but the line ends (a JSON array spread over lines? JSON lines wants one object per line, with no enclosing [ ])"],
  ])("names the line and column of %s", (_, text, message) => {
    expect(() => parseJsonl(text, "d.jsonl", xor, true)).toThrow(new DataError(`d.jsonl: ${message}${suffix}`));
  });
});

describe("data modules", () => {
  it("loads examples/reverse.data.ts through a transpiler: 4,000 training and 500 test sequences and their reverses", async () => {
    const { train, test } = await loadData(join(examples, "reverse.data.ts"), reverse, { transpile });
    expect(train!.size).toBe(4000);
    expect(test!.size).toBe(500);
    const tokens = train!.inputs.tokens!;
    const reversed = train!.targets.reversed!;
    for (let i = 0; i < 8; i++) expect(reversed[i]).toBe(tokens[7 - i]);
    expect(new Set(tokens).size).toBe(10);
    expect(readdirSync(examples).filter((f) => f.endsWith(".mjs"))).toEqual([]); // the temporary JavaScript is gone
  });

  it("loads a JavaScript module exporting arrays", async () => {
    const dir = mkdtempSync(join(tmpdir(), "neuron-data-"));
    const file = join(dir, "xor.data.mjs");
    writeFileSync(file, 'export const train = [{ x: [0, 1], y: [1] }];\nexport async function test() { return [{ x: [1, 1], y: [0] }]; }\n');
    const { train, test } = await loadData(file, xor);
    expect(train!.size).toBe(1);
    expect(test!.targets.y).toEqual(Float32Array.of(0));
  });

  it("explains a module without exports, a TypeScript module without transpiler, and a bad sample", async () => {
    const dir = mkdtempSync(join(tmpdir(), "neuron-data-"));
    const empty = join(dir, "empty.mjs");
    writeFileSync(empty, "export const other = 1;\n");
    await expect(loadData(empty, xor)).rejects.toThrow(/exports neither 'train' nor 'test'/);
    await expect(loadData(join(examples, "reverse.data.ts"), reverse)).rejects.toThrow(/needs a transpiler/);
    const bad = join(dir, "bad.mjs");
    writeFileSync(bad, "export const train = [{ x: [0, 1], y: [1] }, { x: [0], y: [1] }];\n");
    await expect(loadData(bad, xor)).rejects.toThrow(/bad.mjs: train\[1\]: field 'x': expected float \[2\], found a list of 1/);
    const broken = join(dir, "broken.mjs");
    writeFileSync(broken, "export const train = [;\n");
    await expect(loadData(broken, xor)).rejects.toThrow(DataError);
  });

  it("names unknown kinds of data and missing files", async () => {
    await expect(loadData("data.txt", xor)).rejects.toThrow("data.txt: unknown kind of data; use mnist, a .csv or .jsonl file, or a .js/.ts data module");
    await expect(loadData("nowhere.csv", xor)).rejects.toThrow("nowhere.csv: cannot read: no such file or directory");
  });
});

function sameValues(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

describe("mnist", () => {
  it("splits the package's 10,000 digits into 8,000 training and 2,000 held-out samples, pixels in [0, 1]", () => {
    const { train, test } = loadMnist(mnistMlp);
    expect(train.size).toBe(8000);
    expect(test.size).toBe(2000);
    const pixels = train.inputs.image!;
    expect(pixels.length).toBe(8000 * 784);
    let min = Infinity;
    let max = -Infinity;
    for (let i = 0; i < pixels.length; i++) {
      min = Math.min(min, pixels[i]!);
      max = Math.max(max, pixels[i]!);
    }
    expect(min).toBe(0);
    expect(max).toBe(1);
    const counts = new Array<number>(10).fill(0);
    for (const d of train.targets.digit!) counts[d]!++;
    for (const c of counts) expect(c).toBeGreaterThan(600); // every digit, shuffled across the split
  });

  it("is the same split every time, shaped to the model's input", () => {
    const cnn = modelInfo("Cnn", [{ name: "img", shape: [28, 28, 1], kind: "float" }], [{ name: "label", shape: [], kind: "int", vocab: 10 }]);
    const a = loadMnist(mnistMlp);
    const b = loadMnist(cnn);
    // (vitest's deep equality is too slow for millions of elements)
    expect(sameValues(b.train.inputs.img!, a.train.inputs.image!)).toBe(true);
    expect(sameValues(b.test.targets.label!, a.test.targets.digit!)).toBe(true);
  });

  it("explains what model it needs", () => {
    expect(() => loadMnist(xor)).toThrow(/mnist data needs a model with one float input of 784 values \(\[784\] or \[28, 28, 1\]\) and one int\(10\) target; model Xor has inputs x: float \[2\]/);
  });
});
