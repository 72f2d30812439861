// Properties of the formatter over thousands of reshuffled versions of the examples: for
// every variant that still parses cleanly, formatting keeps the syntax tree and every
// comment, and formatting twice changes nothing.
import { describe, expect, it } from "vitest";
import { parse, tokenize, type Program } from "../../grammar/index.js";
import { formatText } from "../../compiler/format/index.js";
import { exampleSources, random } from "../support/fixtures.js";

const examples = exampleSources();

const pick = <T>(items: readonly T[], next: () => number): T => items[Math.floor(next() * items.length)]!;

/** Offsets between two tokens, where whitespace or a comment may go without changing the program. */
function gaps(text: string): number[] {
  return tokenize(text).map((t) => t.range.end.offset);
}

const whitespace = [" ", "  ", "\n", "\n\n\n", "\t", "\n    ", ""];
const comments = ["// note", "/* c */", "/* two\n   lines */", "// |> relu", "/**/", "// a, b: c"];

type Mutation = (text: string, next: () => number) => string;

const layoutMutations: Mutation[] = [
  // Replace the whitespace after a token.
  (text, next) => {
    const at = pick(gaps(text), next);
    const end = at + (/^[ \t\r\n]*/.exec(text.slice(at))?.[0].length ?? 0);
    return text.slice(0, at) + pick(whitespace, next) + text.slice(end);
  },
  // Insert a comment after a token (a line comment always ends its line).
  (text, next) => {
    const at = pick(gaps(text), next);
    const comment = pick(comments, next);
    return text.slice(0, at) + " " + comment + (comment.startsWith("//") ? "\n" : " ") + text.slice(at);
  },
];

/** Token edits, which mostly break the program: the variants that survive reach odd corners of the grammar. */
const tokenMutations: Mutation[] = [
  // Delete a token.
  (text, next) => {
    const tokens = tokenize(text);
    const t = pick(tokens, next);
    return text.slice(0, t.range.start.offset) + text.slice(t.range.end.offset);
  },
  // Duplicate a token.
  (text, next) => {
    const t = pick(tokenize(text), next);
    return text.slice(0, t.range.end.offset) + " " + t.text + text.slice(t.range.end.offset);
  },
];

/** The tree without positions: what a layout change must leave alone. */
function tree(program: Program): string {
  return JSON.stringify(program.items, (key, value: unknown) => (key === "range" || key === "opRange" ? undefined : value));
}

const commentTexts = (program: Program): string[] => program.comments.map((c) => c.text).sort();

describe("formatting variants of the examples", () => {
  it("keeps the tree and the comments, and is idempotent", () => {
    const next = random(20240611);
    let checked = 0;
    for (let i = 0; i < 1500; i++) {
      let text = pick(examples, next);
      const steps = 1 + Math.floor(next() * 6);
      for (let s = 0; s < steps; s++) text = pick(next() < 0.8 ? layoutMutations : tokenMutations, next)(text, next);
      const before = parse(text);
      if (before.diagnostics.length > 0) continue;
      checked++;
      const once = formatText(text);
      if (!once.ok) throw new Error(`variant ${i} was refused: ${once.diagnostics[0]!.message}\n${text}`);
      const after = parse(once.text);
      expect(after.diagnostics, `variant ${i}:\n${text}`).toEqual([]);
      expect(tree(after.program), `variant ${i}:\n${text}`).toBe(tree(before.program));
      expect(commentTexts(after.program), `variant ${i}:\n${text}`).toEqual(commentTexts(before.program));
      const twice = formatText(once.text);
      expect(twice.ok && twice.text, `variant ${i}:\n${text}`).toBe(once.text);
    }
    expect(checked).toBeGreaterThan(600);
  });
});
