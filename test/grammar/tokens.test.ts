import { describe, expect, it } from "vitest";
import { tokenize } from "../../grammar/index.js";

describe("tokenize", () => {
  it("lists every token in order with its kind, comments included", () => {
    const tokens = tokenize("model A { // c\n  h = -x |> dense(1e-3, bias: true) /* b */ }");
    expect(tokens.map((t) => `${t.kind}:${t.text}`)).toEqual([
      "keyword:model", "identifier:A", "punctuation:{", "comment:// c",
      "identifier:h", "operator:=", "operator:-", "identifier:x", "operator:|>", "identifier:dense",
      "punctuation:(", "number:1e-3", "punctuation:,", "identifier:bias", "punctuation::", "bool:true",
      "punctuation:)", "comment:/* b */", "punctuation:}",
    ]);
  });

  it("reads a keyword's longer neighbours as names", () => {
    expect(tokenize("inputs model_1 trainer falsey").map((t) => t.kind)).toEqual(["identifier", "identifier", "identifier", "identifier"]);
  });

  it("gives each token its range, a multi-line comment spanning lines", () => {
    const [comment, name] = tokenize("/* a\n b */ x");
    expect(comment.range).toEqual({ start: { line: 1, column: 1, offset: 0 }, end: { line: 2, column: 6, offset: 10 } });
    expect(name.range.start).toEqual({ line: 2, column: 7, offset: 11 });
  });

  it("leaves out characters that start no token", () => {
    expect(tokenize("a # b").map((t) => t.text)).toEqual(["a", "b"]);
  });
});
