// Thousands of damaged versions of the example models: the parser must never throw, must
// always return a Program, and every range it reports must point into the text.
import { describe, expect, it } from "vitest";
import { parse, tokenize, walk, type Range } from "../../grammar/index.js";
import { exampleSources, random } from "../support/fixtures.js";

const examples = exampleSources();

type Mutation = (text: string, next: () => number) => string;

const pick = <T>(items: readonly T[], next: () => number): T => items[Math.floor(next() * items.length)];
const at = (text: string, next: () => number): number => Math.floor(next() * (text.length + 1));
const insert = (text: string, offset: number, piece: string): string => text.slice(0, offset) + piece + text.slice(offset);

function tokenSpans(text: string): Array<[number, number]> {
  return tokenize(text).map((t) => [t.range.start.offset, t.range.end.offset]);
}

const oddPieces = ["\u0000", "\uFEFF", "\uD800", "\uDC00", "🧠", "é", "→", "\u00A0", "\r", "\u2028", "#", "|", ";", "/*", "*/", "//", "\"", "'", "."];

const mutations: Record<string, Mutation> = {
  deleteToken(text, next) {
    const spans = tokenSpans(text);
    if (spans.length === 0) return text;
    const [start, end] = pick(spans, next);
    return text.slice(0, start) + text.slice(end);
  },
  duplicateToken(text, next) {
    const spans = tokenSpans(text);
    if (spans.length === 0) return text;
    const [start, end] = pick(spans, next);
    return insert(text, end, " " + text.slice(start, end));
  },
  swapTokens(text, next) {
    const spans = tokenSpans(text);
    if (spans.length < 2) return text;
    const i = Math.floor(next() * (spans.length - 1));
    const [[aStart, aEnd], [bStart, bEnd]] = [spans[i], spans[i + 1]];
    return text.slice(0, aStart) + text.slice(bStart, bEnd) + text.slice(aEnd, bStart) + text.slice(aStart, aEnd) + text.slice(bEnd);
  },
  truncate(text, next) {
    return text.slice(0, at(text, next));
  },
  insertOddCharacter(text, next) {
    return insert(text, at(text, next), pick(oddPieces, next));
  },
  insertRandomUnicode(text, next) {
    const codePoint = Math.floor(next() * 0x10ffff);
    const piece = codePoint >= 0xd800 && codePoint <= 0xdfff ? String.fromCharCode(codePoint) : String.fromCodePoint(codePoint);
    return insert(text, at(text, next), piece);
  },
  replaceNumber(text, next) {
    const spans = tokenize(text).filter((t) => t.kind === "number");
    if (spans.length === 0) return text;
    const { start, end } = pick(spans, next).range;
    return text.slice(0, start.offset) + pick(["1e999", "-0", "0.0000001", "1e", "2x", "1.5.3", ".5"], next) + text.slice(end.offset);
  },
  nestDeeply(text, next) {
    const [open, close] = pick([["(", ")"], ["[", "]"], ["{", "}"]], next);
    const offset = at(text, next);
    const closed = next() < 0.5;
    return insert(text, offset, open.repeat(5000) + "x" + (closed ? close.repeat(5000) : ""));
  },
  insertKeyword(text, next) {
    return insert(text, at(text, next), pick([" model ", " block ", " const ", " train ", " input ", " loss ", " |> ", " = ", " , ", " : "], next));
  },
};

/** Plain checks, not `expect`: they run for every node of thousands of trees. */
function isSaneRange(range: Range, length: number): boolean {
  const sane = (p: Range["start"]): boolean => p.line >= 1 && p.column >= 1 && p.offset >= 0 && p.offset <= length;
  return sane(range.start) && sane(range.end) && range.start.offset <= range.end.offset;
}

/** A child's text lies within its parent's: the language server finds a node by nesting. */
function contains(outer: Range, inner: Range): boolean {
  return outer.start.offset <= inner.start.offset && inner.end.offset <= outer.end.offset;
}

describe("fuzzing the parser with damaged examples", () => {
  const next = random(20240611);
  const names = Object.keys(mutations);

  it("never throws, always returns a Program, and reports sane, nested ranges and plain messages", () => {
    for (let round = 0; round < 2000; round++) {
      let text = pick(examples, next);
      const steps = 1 + Math.floor(next() * 3);
      const applied: string[] = [];
      for (let s = 0; s < steps; s++) {
        const name = pick(names, next);
        applied.push(name);
        text = mutations[name](text, next);
      }
      const context = `round ${round} (${applied.join(", ")})`;
      let result: ReturnType<typeof parse>;
      try {
        result = parse(text);
      } catch (error) {
        throw new Error(`${context}: parse threw ${String(error)}`);
      }
      expect(result.program.kind, context).toBe("Program");
      for (const d of result.diagnostics) {
        const problem =
          !isSaneRange(d.range, text.length) ? "a bad range" :
          /-->|<--|undefined|NaN|\[object/.test(d.message) ? "a raw message" :
          !/^NN00\d\d$/.test(d.code) || d.code === "NN0099" ? "an unexpected code" :
          undefined;
        expect(problem, `${context}: ${JSON.stringify(d)}`).toBeUndefined();
      }
      let badNode: string | undefined;
      walk(result.program, (node, parent) => {
        if (badNode) return false;
        if (!isSaneRange(node.range, text.length)) badNode = `bad range: ${JSON.stringify(node).slice(0, 300)}`;
        else if (parent && !contains(parent.range, node.range)) badNode = `outside its parent: ${JSON.stringify(node).slice(0, 300)}`;
      });
      if (badNode) expect.fail(`${context}: ${badNode}\nin the text ${JSON.stringify(text.slice(0, 3000))}`);
    }
  });

  it("gives the same answer when a text is parsed twice: no state leaks between parses", () => {
    const texts = examples.map((e) => e.slice(0, Math.floor(e.length / 2)));
    const first = texts.map((t) => JSON.stringify(parse(t)));
    texts.forEach((t) => parse(t + " ) ] } model"));
    expect(texts.map((t) => JSON.stringify(parse(t)))).toEqual(first);
  });
});
