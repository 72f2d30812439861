import { describe, expect, it } from "vitest";
import { parse, type BinaryExpr, type Binding, type ModelDecl, type PipeExpr } from "../../grammar/index.js";
import { expression, parseClean, slice } from "./helpers.js";

describe("source ranges", () => {
  const text = "model A {\n  h = x |> dense(10, init: he_normal) |> relu\n}\n";
  const model = parseClean(text).items[0] as ModelDecl;
  const binding = model.body[0] as Binding;
  const pipe = binding.value as PipeExpr;

  it("cover each node's text exactly, end exclusive", () => {
    expect(slice(text, model.range)).toBe(text.trimEnd());
    expect(slice(text, binding.range)).toBe("h = x |> dense(10, init: he_normal) |> relu");
    expect(slice(text, pipe.range)).toBe("x |> dense(10, init: he_normal) |> relu");
    expect(slice(text, (pipe.left as PipeExpr).right.range)).toBe("dense(10, init: he_normal)");
    expect(slice(text, pipe.right.range)).toBe("relu");
  });

  it("give lines and columns from 1, offsets from 0", () => {
    expect(binding.name.range).toEqual({
      start: { line: 2, column: 3, offset: 12 },
      end: { line: 2, column: 4, offset: 13 },
    });
    expect(model.range.end).toEqual({ line: 3, column: 2, offset: text.indexOf("}") + 1 });
  });

  it("cover an argument with its name, and the name alone", () => {
    const call = (pipe.left as PipeExpr).right;
    if (call.kind !== "Call") throw new Error();
    expect(slice(text, call.args[1].range)).toBe("init: he_normal");
    expect(slice(text, call.args[1].name!.range)).toBe("init");
    expect(slice(text, call.callee.range)).toBe("dense");
  });

  it("span a binary expression from its left to its right, and keep the operator's own range", () => {
    const source = "const X = a * (b + c)";
    const binary = expression("a * (b + c)") as BinaryExpr;
    const shifted = parse(source).program.items[0];
    if (shifted.kind !== "Const") throw new Error();
    const value = shifted.value as BinaryExpr;
    expect(slice(source, value.range)).toBe("a * (b + c)");
    expect(slice(source, value.opRange)).toBe("*");
    expect(slice(source, value.right.range)).toBe("(b + c)");
    expect(binary.op).toBe("*");
  });

  it("start a unary minus at its sign", () => {
    const source = "const X = - -y";
    const item = parseClean(source).items[0];
    if (item.kind !== "Const" || item.value.kind !== "Unary") throw new Error();
    expect(slice(source, item.value.range)).toBe("- -y");
    expect(slice(source, item.value.operand.range)).toBe("-y");
  });

  it("count columns in code points: an emoji is one column", () => {
    const source = "// 🧠🧠 brain\nmodel A { h = 🧠 }";
    const { diagnostics } = parse(source);
    expect(diagnostics[0].range.start).toEqual({ line: 2, column: 15, offset: source.lastIndexOf("🧠") });
    const comment = parse(source).program.comments[0];
    // 13 UTF-16 units, 11 code points: the end column is 12.
    expect(comment.range.end).toEqual({ line: 1, column: 12, offset: 13 });
  });

  it("count a CRLF line break as one", () => {
    const source = "model A {\r\n  h = 1\r\n}";
    const model = parseClean(source).items[0] as ModelDecl;
    expect(model.body[0].range.start).toMatchObject({ line: 2, column: 3 });
  });

  it("ignore a byte order mark at the start: columns as an editor shows them, offsets into the text", () => {
    const source = "\uFEFFmodel A { }";
    const model = parseClean(source).items[0];
    expect(model.range.start).toEqual({ line: 1, column: 1, offset: 1 });
    expect(model.name.range.start).toEqual({ line: 1, column: 7, offset: 7 });
  });

  it("cover the whole text with the Program", () => {
    const source = "\n\nmodel A { }\n\n";
    expect(parse(source).program.range).toEqual({
      start: { line: 1, column: 1, offset: 0 },
      end: { line: 5, column: 1, offset: source.length },
    });
  });
});
