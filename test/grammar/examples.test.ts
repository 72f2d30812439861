import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import type { BlockDecl, ModelDecl, Statement } from "../../grammar/index.js";
import { parseClean, sexpr } from "./helpers.js";

const examples = fileURLToPath(new URL("../../examples/", import.meta.url));
const read = (name: string): string => readFileSync(examples + name, "utf8");

function valueOf(body: Statement[], name: string, nth = 0): string {
  const found = body.filter((s) => (s.kind === "Binding" || s.kind === "Output") && s.name.name === name)[nth];
  if (!found || (found.kind !== "Binding" && found.kind !== "Output")) throw new Error(`no ${name}`);
  return sexpr(found.value);
}

describe("the example models", () => {
  it.each(readdirSync(examples).filter((f) => f.endsWith(".nn")))("%s parses without a diagnostic", (file) => {
    const program = parseClean(read(file));
    expect(program.items.length).toBeGreaterThan(0);
    expect(program.comments.length).toBeGreaterThan(0);
  });

  it("mnist_mlp.nn: the hidden layer's pipeline and the train settings", () => {
    const model = parseClean(read("mnist_mlp.nn")).items[0] as ModelDecl;
    expect(model.name.name).toBe("MnistMlp");
    expect(valueOf(model.body, "hidden")).toBe("(|> (|> (|> image (dense 128 init:he_normal)) relu) (dropout 0.2))");
    const train = model.body.find((s) => s.kind === "Train");
    if (train?.kind !== "Train") throw new Error();
    expect(train.entries.map((e) => `${e.key.name}:${sexpr(e.value)}`)).toEqual(["batch:64", "epochs:10"]);
  });

  it("mnist_cnn.nn: types and a layer argument that is a word", () => {
    const model = parseClean(read("mnist_cnn.nn")).items[0] as ModelDecl;
    const [image, digit] = model.body;
    if (image.kind !== "Input" || digit.kind !== "Target") throw new Error();
    expect(sexpr(image.type.shape!)).toBe("[28 28 1]");
    expect(digit.type.elementType?.name.name).toBe("int");
    expect(valueOf(model.body, "features")).toContain("(conv2d 16 kernel:3 padding:same)");
  });

  it("reverse.nn: a block, shadowed bindings, int(V)[T] and a parenthesised pipe", () => {
    const [block, model] = parseClean(read("reverse.nn")).items as [BlockDecl, ModelDecl];
    expect(block.params.map((p) => `${p.name.name}:${p.type?.name}`)).toEqual(["hidden:int"]);
    const tokens = model.body.find((s) => s.kind === "Input");
    if (tokens?.kind !== "Input") throw new Error();
    expect(tokens.type.elementType?.args.map(sexpr)).toEqual(["V"]);
    expect(sexpr(tokens.type.shape!)).toBe("[T]");
    expect(valueOf(model.body, "x", 0)).toBe("(+ (embedding tokens D) (positional T D))");
    expect(valueOf(model.body, "x", 2)).toBe("(+ x (paren (|> (|> x layer_norm) (FeedForward (* 4 D)))))");
  });

  it("xor.nn: every statement kind of a trainable model", () => {
    const model = parseClean(read("xor.nn")).items[0] as ModelDecl;
    expect(model.body.map((s) => s.kind)).toEqual(["Input", "Target", "Binding", "Output", "Loss", "Optimizer", "Train"]);
  });
});
