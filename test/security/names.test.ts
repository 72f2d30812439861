// Names that mean something to JavaScript or TypeScript, end to end. A model named after one
// of TypeScript's types (`number`, `any`, ...) gave a class tsc refuses (TS2414); an output
// named after a member of Object.prototype (`constructor`, `__proto__`, ...) crashed
// `nnc predict` with `out.set is not a function`. Each of the five such names, as the model,
// an input, a target, an output and a binding (so a layer and its parameters): the module
// type-checks, trains a step, and `nnc predict` prints the output under its name.

import { writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { checkText } from "../../compiler/check/index.js";
import { emitModule } from "../../compiler/compile.js";
import type { ModelGraph } from "../../compiler/graph.js";
import { loadModelFromGraph } from "../../compiler/load.js";
import { datasetFromSamples } from "../../runtime/data.js";
import { predict } from "../../runtime/train.js";
import { nnc, xorProject } from "../cli/run-nnc.js";
import { diagnostics, strictest } from "../compiler/backend/tsc-program.js";

const PROTOTYPE_NAMES = ["constructor", "toString", "valueOf", "hasOwnProperty", "__proto__"];
const TYPE_NAMES = ["number", "string", "boolean", "bigint", "symbol", "object", "any", "unknown", "never"];
const ROLES = ["model", "input", "target", "output", "binding"] as const;
type Role = (typeof ROLES)[number];

/** XOR with one name replaced: the model's, the input's, the target's, the output's or the hidden binding's. */
function xorWith(role: Role, name: string): { text: string; csv: string } {
  const n = { model: "Xor", input: "x", target: "y", output: "p", binding: "hidden", [role]: name };
  const text = `model ${n.model} {
  input ${n.input}: [2]
  target ${n.target}: [1]
  ${n.binding} = ${n.input} |> dense(4) |> tanh
  output ${n.output} = ${n.binding} |> dense(1) |> sigmoid
  loss binary_cross_entropy(${n.output}, ${n.target})
  optimizer sgd(lr: 0.5)
}
`;
  const csv = `${n.input}.0,${n.input}.1,${n.target}\n0,0,0\n0,1,1\n1,0,1\n1,1,0\n`;
  return { text, csv };
}

function graphOf(text: string): ModelGraph {
  const result = checkText(text, "names.nn");
  expect(result.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  return result.models[0]!;
}

const cases = PROTOTYPE_NAMES.flatMap((name) => ROLES.map((role) => [role, name] as const));

describe("names that mean something to JavaScript or TypeScript", () => {
  it("give modules that type-check under the strictest flags; TypeScript's type names give a class <name>Model", () => {
    const files = new Map<string, string>();
    for (const [role, name] of cases) files.set(`/virtual/${role}_${name}.ts`, emitModule(graphOf(xorWith(role, name).text)));
    for (const name of TYPE_NAMES) {
      const source = emitModule(graphOf(xorWith("model", name).text));
      expect(source).toContain(`export class ${name}Model implements CompiledModel`);
      expect(source).toContain(`export type ${name}ModelOutputs = {`);
      files.set(`/virtual/type_${name}.ts`, source);
    }
    expect(diagnostics(files, strictest)).toEqual([]);
  });

  it.each(cases)("as the %s's name (%s): the model trains a step and predicts, in memory and through nnc", async (role, name) => {
    const { text, csv } = xorWith(role, name);
    const graph = graphOf(text);
    const { module } = await loadModelFromGraph(graph);
    const model = module.create({ maxBatch: 4 });
    const [input, target, output] = [module.info.inputs[0]!.name, module.info.targets[0]!.name, module.info.outputs[0]!.name];
    const x = Float32Array.of(0, 0, 0, 1, 1, 0, 1, 1);
    const loss = model.trainStep({ size: 4, inputs: { [input]: x }, targets: { [target]: Float32Array.of(0, 1, 1, 0) } });
    expect(Number.isFinite(loss)).toBe(true);
    const outputs = model.predict({ [input]: x }, 4);
    expect(Object.keys(outputs)).toEqual([output]);
    expect(Object.getOwnPropertyDescriptor(outputs, output)?.value).toBeInstanceOf(Float32Array);
    // A lookup by a name the caller did not give is "missing", not a member of Object.prototype.
    if (role === "input") {
      expect(() => model.predict({}, 1)).toThrow(`missing input '${name}'`);
      expect(() => datasetFromSamples(module.info, [{ [target]: [1] }])).toThrow(`missing input '${name}'`);
      expect(() => predict(model, { size: 1, inputs: {}, targets: {} })).toThrow(`the dataset has no input '${name}'`);
    }

    const project = xorProject();
    const file = project.at("names.nn");
    const data = project.at("names.csv");
    const weights = project.at("names.safetensors");
    writeFileSync(file, text);
    writeFileSync(data, csv);
    const trained = await nnc("train", file, "--data", data, "--steps", "1", "--save", weights, "--quiet");
    expect(trained.stderr).toBe("");
    const predicted = await nnc("predict", file, "--data", data, "--weights", weights);
    expect(predicted.stderr).toBe("");
    const lines = predicted.stdout.trim().split("\n").map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines).toHaveLength(4);
    for (const sample of lines) {
      expect(Object.keys(sample)).toEqual([output]);
      expect(Object.getOwnPropertyDescriptor(sample, output)?.value).toEqual([expect.any(Number)]);
    }
  });
});
