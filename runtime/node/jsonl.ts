// JSON lines data: one JSON object per line, a field per input and target, tensors as
// nested arrays shaped as declared (or flat, row-major). Blank lines are skipped; a UTF-8
// byte order mark, CRLF line endings and spaces around a line are accepted.

import { DataError, datasetFromSamples, type Dataset, type Sample } from "../data.js";
import type { ModelInfo } from "../model.js";
import { readTextFile } from "./files.js";

export function parseJsonl(text: string, file: string, info: ModelInfo, withTargets: boolean): Dataset {
  const samples: Sample[] = [];
  const lineOf: number[] = [];
  text
    .replace(/^\uFEFF/, "")
    .split("\n")
    .forEach((line, i) => {
      if (line.trim() === "") return;
      try {
        samples.push(JSON.parse(line) as Sample);
      } catch (error) {
        throw new DataError(
          `${file}: line ${i + 1}: not valid JSON ${explainJsonError(line.replace(/\r$/, ""), (error as Error).message)}; each line must be one object such as {"x": [0, 1], "y": [1]}`,
        );
      }
      lineOf.push(i + 1);
    });
  return datasetFromSamples(info, samples, withTargets, { source: file, where: (index) => `line ${lineOf[index]}` });
}

export function loadJsonl(path: string, info: ModelInfo, withTargets = true): Dataset {
  return parseJsonl(readTextFile(path), path, info, withTargets);
}

/**
 * Where and why a line that JSON.parse rejected is not JSON, as `at column N: ...`.
 * JSON.parse's own messages give no position for most mistakes, so the line is scanned
 * again here by the JSON grammar (RFC 8259), up to its first mistake.
 */
function explainJsonError(line: string, parserMessage: string): string {
  const mistake = findJsonMistake(line);
  if (mistake === null) return `(${parserMessage})`;
  const hint =
    /^\s*\[/.test(line) && mistake.offset >= line.trimEnd().length
      ? " (a JSON array spread over lines? JSON lines wants one object per line, with no enclosing [ ])"
      : "";
  return `at column ${mistake.offset + 1}: ${mistake.problem}${hint}`;
}

class JsonMistake extends Error {
  constructor(
    readonly offset: number,
    readonly problem: string,
  ) {
    super(problem);
  }
}

/** The first mistake in `text` by the JSON grammar, or null when there is none. */
function findJsonMistake(text: string): JsonMistake | null {
  let i = 0;
  const fail = (problem: string): never => {
    throw new JsonMistake(i, problem);
  };
  const found = () => (i >= text.length ? "but the line ends" : `but found ${JSON.stringify(text[i])}`);
  const skipSpace = () => {
    while (i < text.length && " \t\r\n".includes(text[i]!)) i++;
  };
  const expect = (char: string, what: string) => {
    skipSpace();
    if (text[i] !== char) fail(`expected ${what} ${found()}`);
    i++;
  };
  const value = (): void => {
    skipSpace();
    const c = text[i];
    if (c === "{") return object();
    if (c === "[") return array();
    if (c === '"') return string();
    if (/^-?(NaN|Infinity)/.test(text.slice(i, i + 9)))
      fail("JSON has no NaN or Infinity (Python's json.dumps writes them): fill in missing values, or drop the row");
    if (c === "-" || (c !== undefined && c >= "0" && c <= "9")) return number();
    for (const word of ["true", "false", "null"]) if (text.startsWith(word, i)) return void (i += word.length);
    fail(`expected a value ${found()}`);
  };
  const object = () => {
    i++;
    skipSpace();
    if (text[i] === "}") return void i++;
    for (;;) {
      skipSpace();
      if (text[i] !== '"') fail(`expected a field name in double quotes ${found()}`);
      string();
      expect(":", "':' after the field name");
      value();
      skipSpace();
      if (text[i] === "}") return void i++;
      if (text[i] !== ",") fail(`expected ',' or '}' after the field ${found()}`);
      i++;
    }
  };
  const array = () => {
    i++;
    skipSpace();
    if (text[i] === "]") return void i++;
    for (;;) {
      value();
      skipSpace();
      if (text[i] === "]") return void i++;
      if (text[i] !== ",") fail(`expected ',' or ']' after the list element ${found()}`);
      i++;
    }
  };
  const string = () => {
    const start = i++;
    for (;;) {
      if (i >= text.length) {
        i = start;
        fail("the string opened here is not closed on this line");
      }
      const c = text.charCodeAt(i);
      if (c === 34) return void i++;
      if (c < 32) fail("a control character inside a string; write it escaped, such as \\n");
      if (c === 92) {
        const escape = text[i + 1];
        if (escape === "u" && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) i += 6;
        else if (escape !== undefined && '"\\/bfnrt'.includes(escape)) i += 2;
        else fail("a bad escape in a string");
      } else i++;
    }
  };
  const number = () => {
    const match = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i));
    if (match === null) return fail(`expected a number ${found()}`);
    i += match[0].length;
  };

  try {
    value();
    skipSpace();
    if (i < text.length) fail(`expected the line to end after one value ${found()}`);
  } catch (mistake) {
    if (mistake instanceof JsonMistake) return mistake;
    throw mistake;
  }
  return null;
}
