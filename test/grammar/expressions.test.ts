import { describe, expect, it } from "vitest";
import { expression, sexpr } from "./helpers.js";

const read = (text: string): string => sexpr(expression(text));

describe("expressions", () => {
  it("reads literals: integers, decimals, exponents, booleans", () => {
    expect(read("42")).toBe("42");
    expect(read("0.25")).toBe("0.25");
    expect(read("1e-3")).toBe("1e-3");
    expect(read("true")).toBe("true");
    expect(read("false")).toBe("false");
  });

  it("keeps a number's text and value, and whether it was written as an integer", () => {
    expect(expression("1e-3")).toMatchObject({ kind: "Number", value: 0.001, text: "1e-3", integer: false });
    expect(expression("128")).toMatchObject({ kind: "Number", value: 128, integer: true });
    expect(expression("2.0")).toMatchObject({ kind: "Number", value: 2, integer: false });
    expect(expression("1E5")).toMatchObject({ value: 100000, integer: false });
  });

  it("reads 1e999 as Infinity, for the checker to reject", () => {
    expect(expression("1e999")).toMatchObject({ kind: "Number", value: Infinity, text: "1e999" });
  });

  it("reads names, library words included", () => {
    expect(read("same")).toBe("same");
    expect(read("he_normal")).toBe("he_normal");
    expect(read("inputs")).toBe("inputs"); // a keyword's prefix is still a name
    expect(read("_x9")).toBe("_x9");
  });

  it("reads calls with positional, then named arguments", () => {
    expect(read("dense(10)")).toBe("(dense 10)");
    expect(read("flatten()")).toBe("(flatten)");
    expect(read("conv2d(16, kernel: 3, padding: same)")).toBe("(conv2d 16 kernel:3 padding:same)");
    expect(read("adam(lr: 0.001, schedule: cosine(warmup: 100))")).toBe("(adam lr:0.001 schedule:(cosine warmup:100))");
    expect(read("dense(8,)")).toBe("(dense 8)");
  });

  it("reads lists, nested and with a trailing comma", () => {
    expect(read("[]")).toBe("[]");
    expect(read("[28, 28, 1]")).toBe("[28 28 1]");
    expect(read("[[1, 2], [3]]")).toBe("[[1 2] [3]]");
    expect(read("[1, 2,]")).toBe("[1 2]");
  });

  it("applies |> to a bare layer name or to a call", () => {
    expect(read("x |> relu")).toBe("(|> x relu)");
    expect(read("x |> dense(10)")).toBe("(|> x (dense 10))");
  });

  it("associates |> to the left", () => {
    expect(read("x |> a |> b(1) |> c")).toBe("(|> (|> (|> x a) (b 1)) c)");
  });

  it("binds |> loosest", () => {
    expect(read("a + b |> relu")).toBe("(|> (+ a b) relu)");
    expect(read("a * b |> f")).toBe("(|> (* a b) f)");
  });

  it("binds * and / tighter than + and -", () => {
    expect(read("1 + 2 * 3")).toBe("(+ 1 (* 2 3))");
    expect(read("1 * 2 + 3")).toBe("(+ (* 1 2) 3)");
    expect(read("a - b / c")).toBe("(- a (/ b c))");
  });

  it("associates + - * / to the left", () => {
    expect(read("a - b - c")).toBe("(- (- a b) c)");
    expect(read("a / b / c")).toBe("(/ (/ a b) c)");
    expect(read("a + b - c + d")).toBe("(+ (- (+ a b) c) d)");
  });

  it("binds unary minus tighter than * and allows it to repeat", () => {
    expect(read("-1")).toBe("(- 1)");
    expect(read("-a * b")).toBe("(* (- a) b)");
    expect(read("a * -b")).toBe("(* a (- b))");
    expect(read("- -x")).toBe("(- (- x))");
    expect(read("-0")).toBe("(- 0)");
  });

  it("keeps parentheses, which override precedence", () => {
    expect(read("(a + b) * c")).toBe("(* (paren (+ a b)) c)");
    expect(read("x + (x |> layer_norm |> self_attention(heads: 4))")).toBe(
      "(+ x (paren (|> (|> x layer_norm) (self_attention heads:4))))",
    );
  });

  it("ignores newlines inside an expression", () => {
    expect(read("image\n  |> dense(128,\n    init: he_normal)\n  |> relu")).toBe("(|> (|> image (dense 128 init:he_normal)) relu)");
  });

  it("passes expressions as arguments, shapes as lists", () => {
    expect(read("FeedForward(4 * D)")).toBe("(FeedForward (* 4 D))");
    expect(read("reshape([7, 7, -1])")).toBe("(reshape [7 7 (- 1)])");
  });
});
