// The compact concrete tree the parser builds (grammar/cst.ts): children kept in the order
// read, found by label, and a node's offsets spanning only tokens read from the text.
import { describe, expect, it } from "vitest";
import type { IToken } from "chevrotain";
import { firstChild, node, nodes, SyntaxNode, token, tokens } from "../../grammar/cst.js";
import { Comma, Identifier } from "../../grammar/lexer.js";

const read = (image: string, start: number): IToken => ({
  image,
  startOffset: start,
  endOffset: start + image.length - 1,
  tokenType: Identifier,
  tokenTypeIdx: Identifier.tokenTypeIdx!,
});
/** What Chevrotain's recovery invents for a missing token: no offsets. */
const invented = (): IToken => ({ image: ",", startOffset: NaN, endOffset: NaN, tokenType: Comma, tokenTypeIdx: Comma.tokenTypeIdx!, isInsertedInRecovery: true });

describe("the parser's concrete tree", () => {
  it("finds children by label, in the order they were read", () => {
    const inner = new SyntaxNode();
    const cst = new SyntaxNode();
    const a = read("a", 0);
    const b = read("b", 4);
    cst.add("name", a);
    cst.add("value", inner);
    cst.add("name", b);
    expect(token(cst, "name")).toBe(a);
    expect(tokens(cst, "name")).toEqual([a, b]);
    expect(node(cst, "value")).toBe(inner);
    expect(nodes(cst, "value")).toEqual([inner]);
    expect(node(cst, "name")).toBeUndefined();
    expect(token(cst, "value")).toBeUndefined();
    expect(tokens(cst, "missing")).toEqual([]);
    expect(firstChild(cst)).toEqual(["name", a]);
    expect(firstChild(new SyntaxNode())).toBeUndefined();
  });

  it("spans the tokens read from the text, never one that recovery invented", () => {
    const cst = new SyntaxNode();
    cst.add("Comma", invented());
    expect(cst.startOffset).toBeNaN();
    cst.add("name", read("abc", 3));
    cst.add("Comma", invented());
    expect([cst.startOffset, cst.endOffset]).toEqual([3, 5]);
    const outer = new SyntaxNode();
    outer.add("value", new SyntaxNode());
    outer.add("value", cst);
    outer.add("name", read("z", 10));
    expect([outer.startOffset, outer.endOffset]).toEqual([3, 10]);
  });
});
