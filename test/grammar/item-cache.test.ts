// Parsing with a ParseCache (as the language server does, version after version) must give
// exactly what a fresh parse gives: the same tree, ranges included, and the same diagnostics.
import { describe, expect, it } from "vitest";
import { parse, ParseCache, type Program } from "../../grammar/index.js";
import { exampleSources, random } from "../support/fixtures.js";

const examples = exampleSources();

/** What an editor sends: a few characters typed or deleted somewhere, now and then a line break or an odd character. */
const typed = ["1", "x", " ", "\n", "\r\n", "(", ")", "{", "}", "|>", ",", "model M {\n}\n", "const C = 2\n", "🧠", "é", "/*", "*/", "//", "\t"];

function edit(text: string, next: () => number): string {
  const at = Math.floor(next() * (text.length + 1));
  if (next() < 0.4) {
    const length = Math.floor(next() * 4);
    return text.slice(0, at) + text.slice(at + length);
  }
  return text.slice(0, at) + typed[Math.floor(next() * typed.length)] + text.slice(at);
}

describe("parse with a ParseCache", () => {
  it("gives the fresh result after every edit of a long sequence", () => {
    const next = random(3);
    let text = examples.join("\n");
    const cache = new ParseCache();
    for (let i = 0; i < 300; i++) {
      text = edit(text, next);
      expect(parse(text, cache)).toEqual(parse(text));
    }
  });

  it("gives the fresh result when items move by whole lines and when they move within a line", () => {
    const cache = new ParseCache();
    const base = examples.join("\n");
    const moves = [base, "\n\n" + base, "  " + base, "const Z = 1 " + base, base.replace("\n", "\r\n"), "🧠\n" + base];
    // A byte order mark takes a column everywhere but at the very start of the file.
    moves.push("\ufeffmodel A {}\n" + base, "\n\ufeffmodel A {}\n" + base, "\ufeffmodel A {}\n" + base);
    for (const text of moves) {
      expect(parse(text, cache)).toEqual(parse(text));
    }
  });

  it("reuses the tree of an item that did not move, and parses the item an edit touched afresh", () => {
    const cache = new ParseCache();
    const before = parse("const A = 1\nmodel M {\n  input x: [2]\n  output y = x |> dense(3)\n}\n", cache).program;
    const after = parse("const A = 1\nmodel M {\n  input x: [2]\n  output y = x |> dense(4)\n}\n", cache).program;
    expect(after.items[0]).toBe(before.items[0]);
    expect(after.items[1]).not.toBe(before.items[1]);
  });

  it("copies a moved item with its positions shifted", () => {
    const cache = new ParseCache();
    parse("model M {\n  input x: [2]\n}\n", cache);
    const moved: Program = parse("// a comment\n\nmodel M {\n  input x: [2]\n}\n", cache).program;
    expect(moved).toEqual(parse("// a comment\n\nmodel M {\n  input x: [2]\n}\n").program);
    expect(moved.items[0].range.start).toEqual({ line: 3, column: 1, offset: 14 });
  });

  it("does not keep an item with a syntax error, whose messages depend on its neighbours", () => {
    const cache = new ParseCache();
    const broken = "model M {\n  output y = x |> dense(3\n}\n";
    parse(broken, cache);
    const again = "model A {}\n" + broken;
    expect(parse(again, cache)).toEqual(parse(again));
  });
});
