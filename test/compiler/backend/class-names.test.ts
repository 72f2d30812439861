// A model may be named anything the language allows; the emitted class keeps the name where
// JavaScript lets it, and becomes `<name>Model` where the name is reserved, a global the
// kernels use (a class `Math` would shadow their `Math.exp`), or a top-level name of the module.

import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { checkText } from "../../../compiler/check/index.js";
import { emitModule } from "../../../compiler/compile.js";
import { loadModelFromGraph } from "../../../compiler/load.js";
import type { ModelGraph } from "../../../compiler/graph.js";
import { diagnostics, strictest } from "./tsc-program.js";

const xor = readFileSync(fileURLToPath(new URL("../../../examples/xor.nn", import.meta.url)), "utf8");

function graphNamed(name: string): ModelGraph {
  const result = checkText(xor.replace("model Xor", `model ${name}`), `${name}.nn`);
  expect(result.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  return result.models[0]!;
}

const cases: [model: string, className: string][] = [
  ["Xor", "Xor"],
  ["Math", "MathModel"],
  ["Float32Array", "Float32ArrayModel"],
  ["Rng", "RngModel"],
  ["create", "createModel"],
  ["info", "infoModel"],
  ["F", "FModel"],
  ["class", "classModel"],
  ["await", "awaitModel"],
  ["k0_dense", "k0_denseModel"],
];

describe("the class a model's name becomes", () => {
  it.each(cases)("model %s: class %s, in a module that type-checks and trains", async (model, className) => {
    const graph = graphNamed(model);
    const source = emitModule(graph);
    expect(source).toContain(`export class ${className} implements CompiledModel`);
    expect(diagnostics(new Map([[`/virtual/${model}.ts`, source]]), strictest)).toEqual([]);

    const { module } = await loadModelFromGraph(graph);
    expect(module.info.name).toBe(model);
    const net = module.create({ seed: 1, maxBatch: 4 });
    const loss = net.trainStep({ size: 4, inputs: { x: Float32Array.of(0, 0, 0, 1, 1, 0, 1, 1) }, targets: { y: Float32Array.of(0, 1, 1, 0) } });
    expect(Number.isFinite(loss)).toBe(true);
  });
});
