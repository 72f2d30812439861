import { describe, expect, it } from "vitest";
import type { BlockDecl, ConstDecl, ModelDecl, TypeExpr } from "../../grammar/index.js";
import { parseClean, sexpr, statements } from "./helpers.js";

function typeOf(declaration: string): string {
  const [input] = statements(`input x: ${declaration}`);
  if (input.kind !== "Input") throw new Error("expected an input");
  return showType(input.type);
}

function showType(type: TypeExpr): string {
  const element = type.elementType
    ? `${type.elementType.name.name}(${type.elementType.args.map(sexpr).join(" ")})`
    : "float";
  return type.shape ? `${element}${sexpr(type.shape)}` : element;
}

describe("top level", () => {
  it("reads consts, blocks and models in order, several models included", () => {
    const program = parseClean("const N = 128\nblock B { }\nmodel A { }\nmodel C { }");
    expect(program.items.map((i) => `${i.kind} ${i.name.name}`)).toEqual(["Const N", "Block B", "Model A", "Model C"]);
    expect(sexpr((program.items[0] as ConstDecl).value)).toBe("128");
  });

  it("reads an empty file as an empty program", () => {
    expect(parseClean("").items).toEqual([]);
    expect(parseClean("  \n // only a comment\n").items).toEqual([]);
  });

  it("reads block parameters with and without types; `block N {` has none", () => {
    const program = parseClean("block F(hidden: int, heads, p: float,) { }\nblock G { }\nblock H() { }");
    const [f, g, h] = program.items as BlockDecl[];
    expect(f.params.map((p) => `${p.name.name}:${p.type?.name ?? "-"}`)).toEqual(["hidden:int", "heads:-", "p:float"]);
    expect(g.params).toEqual([]);
    expect(h.params).toEqual([]);
  });

  it("reads a block body like a model body", () => {
    const program = parseClean("block F(hidden: int) {\n input x: [T, D]\n output y = x |> dense(hidden)\n}");
    expect((program.items[0] as BlockDecl).body.map((s) => s.kind)).toEqual(["Input", "Output"]);
  });
});

describe("statements", () => {
  it("reads each kind of statement", () => {
    const body = statements(`
      const D = 32
      input x: [784]
      target y: int(10)
      h = x |> dense(D)
      output logits = h
      loss softmax_cross_entropy(logits, y)
      optimizer adam(lr: 0.001)
      train { batch: 64, epochs: 10 }
    `);
    expect(body.map((s) => s.kind)).toEqual(["Const", "Input", "Target", "Binding", "Output", "Loss", "Optimizer", "Train"]);
  });

  it("reads a binding and an output as a name and a value", () => {
    const [binding, output] = statements("h = x |> relu\noutput p = h |> sigmoid");
    expect(binding).toMatchObject({ kind: "Binding", name: { name: "h" } });
    expect(output).toMatchObject({ kind: "Output", name: { name: "p" } });
    if (output.kind !== "Output") throw new Error();
    expect(sexpr(output.value)).toBe("(|> h sigmoid)");
  });

  it("reads loss and optimizer as expressions", () => {
    const [loss, optimizer] = statements("loss mse(p, y)\noptimizer sgd(lr: 0.5, momentum: 0.9)");
    if (loss.kind !== "Loss" || optimizer.kind !== "Optimizer") throw new Error();
    expect(sexpr(loss.value)).toBe("(mse p y)");
    expect(sexpr(optimizer.value)).toBe("(sgd lr:0.5 momentum:0.9)");
  });

  it("reads train entries separated by commas, a trailing comma, or line breaks", () => {
    for (const text of ["train { batch: 4, epochs: 2 }", "train { batch: 4, epochs: 2, }", "train {\n batch: 4\n epochs: 2\n}"]) {
      const [train] = statements(text);
      if (train.kind !== "Train") throw new Error();
      expect(train.entries.map((e) => `${e.key.name}=${sexpr(e.value)}`)).toEqual(["batch=4", "epochs=2"]);
    }
    const [empty] = statements("train { }");
    expect(empty).toMatchObject({ kind: "Train", entries: [] });
  });

  it("reads the three forms of a type", () => {
    expect(typeOf("[784]")).toBe("float[784]");
    expect(typeOf("[28, 28, 1]")).toBe("float[28 28 1]");
    expect(typeOf("int(10)")).toBe("int(10)");
    expect(typeOf("int(V)[T]")).toBe("int(V)[T]");
    expect(typeOf("[4 * D, D / 2]")).toBe("float[(* 4 D) (/ D 2)]");
    expect(typeOf("[]")).toBe("float[]");
  });

  it("leaves the element type null for float and the shape null for a scalar", () => {
    const [a, b] = statements("input a: [3]\ntarget b: int(10)");
    if (a.kind !== "Input" || b.kind !== "Target") throw new Error();
    expect(a.type.elementType).toBeNull();
    expect(b.type.shape).toBeNull();
  });

  it("needs no separator between statements, not even a line break", () => {
    const body = statements("input x: [2] h = x |> relu output y = h");
    expect(body.map((s) => s.kind)).toEqual(["Input", "Binding", "Output"]);
  });

  it("lets a library word name a binding", () => {
    const [same] = statements("same = 3");
    expect(same).toMatchObject({ kind: "Binding", name: { name: "same" } });
  });

  it("keeps comments of both kinds in Program.comments, in order", () => {
    const text = "// head\nmodel A { /* inside */ }\n// tail";
    const program = parseClean(text);
    expect(program.comments.map((c) => [c.text, c.block])).toEqual([
      ["// head", false],
      ["/* inside */", true],
      ["// tail", false],
    ]);
    expect((program.items[0] as ModelDecl).body).toEqual([]);
  });
});
