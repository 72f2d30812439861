import { describe, expect, it } from "vitest";
import { forEachChild, parse, walk, type Node } from "../../grammar/index.js";

describe("walking the tree", () => {
  const text = "model A {\n  input x: int(V)[3]\n  h = x |> dense(4, init: he_normal)\n  g = h + -1\n  train { batch: 2 }\n}";
  const { program } = parse(text);

  it("walks a tree without syntax errors", () => {
    expect(parse(text).diagnostics).toEqual([]);
  });

  it("forEachChild gives a node's direct children in source order", () => {
    const model = program.items[0];
    const kinds: string[] = [];
    forEachChild(model, (child) => kinds.push(child.kind));
    expect(kinds).toEqual(["Identifier", "Input", "Binding", "Binding", "Train"]);
  });

  it("walk visits every node, parents first, in source order", () => {
    const seen: string[] = [];
    walk(program, (node) => {
      if (node.kind === "Identifier") seen.push(node.name);
      if (node.kind === "Number") seen.push(node.text);
    });
    expect(seen).toEqual(["A", "x", "int", "V", "3", "h", "x", "dense", "4", "init", "he_normal", "g", "h", "1", "batch", "2"]);
  });

  it("walk gives each node its parent, and skips children when told to", () => {
    const parents = new Map<Node, Node | undefined>();
    walk(program, (node, parent) => {
      parents.set(node, parent);
      return node.kind !== "Call";
    });
    const kinds = [...parents.keys()].map((n) => n.kind);
    expect(kinds).toContain("Call");
    expect(kinds).not.toContain("Argument");
    const binding = [...parents.keys()].find((n) => n.kind === "Binary");
    expect(parents.get(binding!)?.kind).toBe("Binding");
  });

  it("walk handles a tree thousands of levels deep", () => {
    const { program: deep } = parse(`const X = 1${" + 1".repeat(900)}`);
    let count = 0;
    walk(deep, () => void count++);
    expect(count).toBe(1 + 1 + 1 + 901 + 900); // program, const, its name, the numbers, the '+'s
  });
});
