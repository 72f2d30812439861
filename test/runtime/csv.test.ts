// CSV as real tools write it (RFC 4180: pandas, Excel, Python's csv module, PostgreSQL COPY),
// and the one-line error each malformed file gets. The basics (column order, missing and
// unknown columns, vocabularies) are in loaders.test.ts.

import { describe, expect, it } from "vitest";
import { DataError } from "../../runtime/data.js";
import type { ModelInfo, TensorInfo } from "../../runtime/model.js";
import { parseCsv } from "../../runtime/node/csv.js";

function modelInfo(name: string, inputs: TensorInfo[], targets: TensorInfo[]): ModelInfo {
  return { name, dtype: "float32", inputs, targets, outputs: [], params: [], losses: ["mse"], optimizer: null, train: {} };
}

const xor = modelInfo("Xor", [{ name: "x", shape: [2], kind: "float" }], [{ name: "y", shape: [1], kind: "float" }]);
const classifier = modelInfo("Classifier", [{ name: "x", shape: [2], kind: "float" }], [{ name: "label", shape: [], kind: "int", vocab: 3 }]);

/** The rows of an Xor CSV file as [x.0, x.1, y] triples. */
function rows(text: string): number[][] {
  const data = parseCsv(text, "d.csv", xor, true);
  const x = data.inputs.x!;
  const y = data.targets.y!;
  return Array.from({ length: data.size }, (_, i) => [x[2 * i]!, x[2 * i + 1]!, y[i]!]);
}

/** The error an Xor CSV file gets. */
function error(text: string, info: ModelInfo = xor): string {
  try {
    parseCsv(text, "d.csv", info, true);
  } catch (e) {
    if (e instanceof DataError) return e.message;
    throw e;
  }
  throw new Error("the file was accepted");
}

describe("CSV syntax as tools write it", () => {
  it.each([
    ["plain, with a trailing newline", "x.0,x.1,y\n1,2,3\n4,5,6\n"],
    ["without a trailing newline", "x.0,x.1,y\n1,2,3\n4,5,6"],
    ["with CRLF line endings (Python's csv module, Excel)", "x.0,x.1,y\r\n1,2,3\r\n4,5,6\r\n"],
    ["with a UTF-8 byte order mark, CRLF and no last newline (Excel's 'CSV UTF-8')", "\uFEFFx.0,x.1,y\r\n1,2,3\r\n4,5,6"],
    ["with blank lines between and after the rows", "x.0,x.1,y\n\n1,2,3\n  \n4,5,6\n\n\r\n\n"],
    ["with blank lines before the header", "\n\r\nx.0,x.1,y\n1,2,3\n4,5,6\n"],
    ["with spaces around names and values", "x.0 , x.1,\ty \n 1 ,2 , 3\n4,\t5,6  \n"],
    ["with every field quoted (pandas' QUOTE_ALL, csv.QUOTE_ALL)", '"x.0","x.1","y"\n"1","2","3"\n"4","5","6"\n'],
    ["with some fields quoted and spaces around the quotes", 'x.0,"x.1",y\r\n1, "2" ,3\r\n"4",5,  "6"\r\n'],
    ["with a quoted field that holds a line break", 'x.0,x.1,y\n1,2,"3\n"\n4,5,6\n'],
  ])("reads a file %s", (_, text) => {
    expect(rows(text)).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
  });

  it("reads numbers in the notations data tools write", () => {
    expect(rows("x.0,x.1,y\n-1.5,125e-3,+.25\n1E3,0.,-0\n")).toEqual([
      [-1.5, 0.125, 0.25],
      [1000, 0, -0],
    ]);
  });

  it("unquotes names, so a quoted name matches a plain one and a doubled quote is one quote", () => {
    expect(error('"x.0",x.0,y\n')).toBe("d.csv: line 1: column 'x.0' appears twice");
    expect(error('x.0,x.1,y,"the ""best"" column"\n')).toBe("d.csv: line 1: unknown column 'the \"best\" column'; model Xor reads x.0, x.1, y");
  });

  it("does not split a quoted field at its comma", () => {
    expect(error('x.0,x.1,y\n"1,5",2,3\n')).toBe("d.csv: line 2, column 'x.0': '1,5' is not a number (a decimal comma? write 1.5)");
  });

  it("counts the lines inside quoted fields, so later rows are named by their own line", () => {
    expect(error('x.0,x.1,y\n1,2,"3\n\n"\n4,abc,6\n')).toBe("d.csv: line 5, column 'x.1': 'abc' is not a number");
    expect(error('x.0,x.1,y\n"1\n",2,3\n4,5,"6\n')).toBe(
      `d.csv: line 4: unterminated quoted field starting at column 5; close it with a '"' (and write a quote inside it as '""')`,
    );
  });

  it("reads a header with no rows as no samples", () => {
    expect(rows("x.0,x.1,y\n")).toEqual([]);
    expect(rows('"x.0","x.1","y"')).toEqual([]);
  });

  it("reads quoted ids for int targets and checks them against the vocabulary", () => {
    const data = parseCsv('x.0,x.1,label\n1,2,"2"\n', "c.csv", classifier, true);
    expect(data.targets.label).toEqual(Int32Array.of(2));
    expect(error('x.0,x.1,label\n1,2,"3"\n', classifier)).toBe("d.csv: line 2, column 'label': 3 is outside int(3): ids run from 0 to 2");
    expect(error("x.0,x.1,label\n1,2,1.5\n", classifier)).toBe("d.csv: line 2, column 'label': 1.5 is not an integer (int(3) wants integer ids)");
  });
});

describe("CSV errors name the file, the line and the field", () => {
  it.each([
    [
      "an unterminated quote",
      'x.0,x.1,y\n1,2,3\n1,"2,3\n',
      `d.csv: line 3: unterminated quoted field starting at column 3; close it with a '"' (and write a quote inside it as '""')`,
    ],
    [
      "text after a closing quote",
      'x.0,x.1,y\n1,"2"x,3\n',
      `d.csv: line 2: unexpected "x" at column 6, after a quoted field; a field ends at its closing quote (write a quote inside it as '""')`,
    ],
    [
      "a quote inside an unquoted field",
      'x.0,x.1,y\n1,2",3\n',
      `d.csv: line 2: a quote at column 4 inside an unquoted field; quote the whole field and double the quotes inside it ("a ""b""")`,
    ],
    ["too many values", "x.0,x.1,y\n1,2,3,4\n", "d.csv: line 2: 4 values, but the header has 3 columns"],
    ["a comma at the end of a row", "x.0,x.1,y\n1,2,3\n1,2,3,\n", "d.csv: line 3: 4 values, but the header has 3 columns (a comma at the end of the line?)"],
    ["too few values", "x.0,x.1,y\r\n1,2\r\n", "d.csv: line 2: 2 values, but the header has 3 columns"],
    ["a word in a numeric column", "x.0,x.1,y\n0,0,0\n1,0,1\n0,1,1\n1,abc,0\n", "d.csv: line 5, column 'x.1': 'abc' is not a number"],
    ["an empty value", 'x.0,x.1,y\n1,"",3\n', "d.csv: line 2, column 'x.1': empty value"],
    [
      "a missing value written NaN (pandas' na_rep)",
      "x.0,x.1,y\n1,NaN,3\n",
      "d.csv: line 2, column 'x.1': 'NaN' is not a number (a missing value: fill it in or drop the row)",
    ],
    ["an infinite value", "x.0,x.1,y\n1,-Infinity,3\n", "d.csv: line 2, column 'x.1': '-Infinity' is not a finite number"],
    [
      "a value too large for float32",
      "x.0,x.1,y\n1,1e39,3\n",
      "d.csv: line 2, column 'x.1': 1e+39 is too large for float32 (at most 3.40e+38 in magnitude); rescale the data, or train with --dtype float64",
    ],
    ["a value with a line break in it", 'x.0,x.1,y\n1,"2\n2",3\n', `d.csv: line 2, column 'x.1': "2\\n2" is not a number`],
    [
      "missing columns",
      "a,b,y\n1,2,3\n",
      "d.csv: line 1: missing 2 columns (x.0, x.1) for input 'x', which is written as columns x.0 ... x.1 ([2] flattened row-major); the header has a, b, y",
    ],
    [
      "a missing column among several present",
      "x.0,x.2,y\n",
      "d.csv: line 1: missing column 'x.1' for input 'x', which is written as columns x.0 ... x.1 ([2] flattened row-major); the header has x.0, x.2, y",
    ],
    [
      "values separated by semicolons",
      "x.0;x.1;y\n1;2;3\n",
      "d.csv: line 1: missing 2 columns (x.0, x.1) for input 'x', which is written as columns x.0 ... x.1 ([2] flattened row-major); the header has x.0;x.1;y (the file separates values with ';'; a CSV file here separates them with ',')",
    ],
    [
      "pandas' unnamed index column",
      ",x.0,x.1,y\n0,1,2,3\n",
      "d.csv: line 1: column 1 has no name (pandas writes its index so: save with to_csv(..., index=False))",
    ],
    [
      "pandas' index column read back and saved again",
      "Unnamed: 0,x.0,x.1,y\n0,1,2,3\n",
      "d.csv: line 1: unknown column 'Unnamed: 0' (pandas' index column: save with to_csv(..., index=False)); model Xor reads x.0, x.1, y",
    ],
    ["an unnamed column", "x.0,,x.1,y\n", "d.csv: line 1: column 2 has no name"],
    [
      "no header",
      "0,0,0\n0,1,1\n",
      "d.csv: line 1: the first line holds numbers (0, 0, 0), not column names; start the file with a header such as x.0,x.1,y.0",
    ],
    ["a header after blank lines that is wrong", "\n\nx.0,x.1,y,z\n", "d.csv: line 3: unknown column 'z'; model Xor reads x.0, x.1, y"],
    ["only blank lines", "\r\n\r\n", "d.csv: line 1: expected a header naming the columns (e.g. x.0,x.1,y.0)"],
  ])("%s", (_, text, message) => {
    expect(error(text)).toBe(message);
  });

  it("keeps messages about a wide file short", () => {
    const mnist = modelInfo("MnistMlp", [{ name: "image", shape: [784], kind: "float" }], [{ name: "digit", shape: [], kind: "int", vocab: 10 }]);
    const kaggle = ["label", ...Array.from({ length: 784 }, (_, i) => `pixel${i}`)].join(",");
    expect(error(`${kaggle}\n`, mnist)).toBe(
      "d.csv: line 1: missing 784 columns (image.0, image.1, image.2, ..., image.783) for input 'image', which is written as columns image.0 ... image.783 ([784] flattened row-major); the header has label, pixel0, pixel1, ..., pixel783",
    );
    const ours = [...Array.from({ length: 784 }, (_, i) => `image.${i}`), "digit", "extra"].join(",");
    expect(error(`${ours}\n`, mnist)).toBe("d.csv: line 1: unknown column 'extra'; model MnistMlp reads image.0 ... image.783, digit");
  });
});

describe("CSV loading cost", () => {
  it("grows linearly with the file, also for a file without commas", () => {
    const one = modelInfo("One", [{ name: "x", shape: [], kind: "float" }], []);
    // The fastest of three runs, to see past a busy machine.
    const time = (rowCount: number) => {
      const text = `x\n${"1.5\n".repeat(rowCount)}`;
      let fastest = Infinity;
      for (let run = 0; run < 3; run++) {
        const start = performance.now();
        expect(parseCsv(text, "d.csv", one, false).size).toBe(rowCount);
        fastest = Math.min(fastest, performance.now() - start);
      }
      return fastest;
    };
    // Rescanning the rest of the text per line would make 16x the rows cost up to 256x the time (83x measured); linear costs about 16x.
    expect(time(320_000)).toBeLessThan(40 * Math.max(time(20_000), 1));
  });
});
