// The hand-written scanner must read text exactly as a Chevrotain Lexer built from the token
// patterns in lexer.ts would: same tokens, same comments, same runs of unexpected characters.
import type { IToken } from "chevrotain";
import { Lexer } from "../../grammar/chevrotain.js";
import { describe, expect, it } from "vitest";
import { lexerDefinition } from "../../grammar/lexer.js";
import { scan } from "../../grammar/scanner.js";
import { exampleSources, random } from "../support/fixtures.js";

const reference = new Lexer([...lexerDefinition], { positionTracking: "full", ensureOptimizations: true });

const examples = exampleSources();

const describeToken = (t: IToken): string => `${t.tokenType.name}@${t.startOffset}-${t.endOffset}:${t.image}`;

function expectSameAsReference(text: string): void {
  // The reference reads a leading byte order mark as the space the scanner takes it for.
  const lexed = reference.tokenize(text.charCodeAt(0) === 0xfeff ? " " + text.slice(1) : text);
  const scanned = scan(text);
  expect(scanned.tokens.map(describeToken)).toEqual(lexed.tokens.map(describeToken));
  expect(scanned.comments.map(describeToken)).toEqual(((lexed.groups.comments ?? []) as IToken[]).map(describeToken));
  expect(scanned.errors).toEqual(lexed.errors.map((e) => ({ offset: e.offset, length: e.length })));
}

/** Pieces that sit on the edges of the token patterns. */
const pieces = [
  "model", "models", "const", "input_", "true", "false", "x", "_a1", "dense", "1", "12", "1.", "1.5", ".5", ".", "1e",
  "1e-3", "2E+", "1.5.3", "2x", "|>", "|", ">", "/", "//", "/*", "*/", "*", "+", "-", "(", ")", "[", "]", "{", "}",
  ",", ":", "=", " ", "\t", "\n", "\r\n", "\f", "\v", "#", ";", "é", "🧠", "\u00a0", "\u2028", "\ufeff", "\u0000", "\"",
];

describe("scanner", () => {
  it("reads every example as the reference lexer does", () => {
    for (const text of examples) expectSameAsReference(text);
  });

  it("agrees with the reference on malformed numbers, stray characters and comments", () => {
    for (const text of ["1e 2x 1.5.3 .5e+3a", "a | b |> c", "x /* open", "/*/ x */ y", "// end", "é🧠# a", "\ufeffmodel M {}", ". .a 1..2"]) {
      expectSameAsReference(text);
    }
  });

  it("agrees with the reference on thousands of random texts", () => {
    const next = random(7);
    for (let i = 0; i < 3000; i++) {
      let text = "";
      const count = Math.floor(next() * 30);
      for (let j = 0; j < count; j++) text += pieces[Math.floor(next() * pieces.length)];
      expectSameAsReference(text);
    }
  });

  it("agrees with the reference on the examples with random characters spliced in", () => {
    const next = random(11);
    for (let i = 0; i < 300; i++) {
      const example = examples[i % examples.length];
      const at = Math.floor(next() * example.length);
      const piece = pieces[Math.floor(next() * pieces.length)];
      expectSameAsReference(example.slice(0, at) + piece + example.slice(at));
    }
  });
});
