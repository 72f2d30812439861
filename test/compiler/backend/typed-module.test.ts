// An emitted TypeScript module is typed by its model: `XorInputs`, `XorTargets`, `XorOutputs`
// and `XorBatch`, one property per tensor, so that a user's call with a misspelt name or an
// array of the wrong kind fails to type-check where it is written, and a correct one passes
// under the strictest flags without `!` or `["name"]`. Each user file below is compiled
// against the emitted module in one program, as a project would compile them together.

import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { checkText } from "../../../compiler/check/index.js";
import { emitModule, type EmitOptions } from "../../../compiler/compile.js";
import { base, diagnostics, strictest } from "./tsc-program.js";

const examplesDir = fileURLToPath(new URL("../../../examples/", import.meta.url));

function emitted(example: string, options: EmitOptions = {}): string {
  const result = checkText(readFileSync(examplesDir + example, "utf8"), example);
  expect(result.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  return emitModule(result.models[0]!, options);
}

/** The diagnostics of each user file compiled with the model modules, by file name (without `/virtual/`). */
function diagnosticsByFile(models: Record<string, string>, users: Record<string, string>, options: ts.CompilerOptions): Record<string, string[]> {
  const files = new Map(Object.entries({ ...models, ...users }).map(([name, text]) => [`/virtual/${name}`, text]));
  const found = diagnostics(files, options);
  return Object.fromEntries(
    Object.keys({ ...models, ...users }).map((name) => [
      name,
      found.filter((d) => d.startsWith(`/virtual/${name}:`)).map((d) => d.slice(`/virtual/${name}:`.length)),
    ]),
  );
}

const xor = emitted("xor.nn");

describe("the types an emitted module exports", () => {
  it("declare one property per tensor, of the dtype's array type, documented with its shape", () => {
    expect(xor).toContain(["export type XorInputs = {", "  /** [2] */", "  x: Float32Array;", "};"].join("\n"));
    expect(xor).toContain(["export type XorTargets = {", "  /** [1] */", "  y: Float32Array;", "};"].join("\n"));
    expect(xor).toContain(["export type XorOutputs = {", "  /** [1] */", "  p: Float32Array;", "};"].join("\n"));
    expect(xor).toContain(["export type XorBatch = {", "  size: number;", "  inputs: XorInputs;", "  targets: XorTargets;", "};"].join("\n"));
    expect(emitted("xor.nn", { dtype: "float64" })).toContain(["export type XorInputs = {", "  /** [2] */", "  x: Float64Array;", "};"].join("\n"));
    const reverse = emitted("reverse.nn");
    expect(reverse).toContain(["export type ReverseInputs = {", "  /** int(10) [8] */", "  tokens: Int32Array;", "};"].join("\n"));
    expect(reverse).toContain(["export type ReverseOutputs = {", "  /** [8, 10] */", "  logits: Float32Array;", "};"].join("\n"));
  });

  it("type the class's predict, trainStep, forwardBackward and evaluate by them", () => {
    expect(xor).toContain("predict(inputs: XorInputs, size?: number): XorOutputs {");
    expect(xor).toContain("trainStep(batch: XorBatch): number {");
    expect(xor).toContain("forwardBackward(batch: XorBatch): number {");
    expect(xor).toContain("evaluate(batch: XorBatch): BatchMetrics {");
    expect(xor).toContain("export class Xor implements CompiledModel {");
  });

  it("show each property's shape where an editor hovers over it", () => {
    const documentation = (name: string) => {
      const file = "/virtual/hover.ts";
      const files = new Map([[file, xor]]);
      const host = ts.createCompilerHost(base);
      const getSourceFile = host.getSourceFile.bind(host);
      host.getSourceFile = (f, language, onError) => (files.has(f) ? ts.createSourceFile(f, files.get(f)!, language) : getSourceFile(f, language, onError));
      const program = ts.createProgram([file], base, host);
      const checker = program.getTypeChecker();
      const module = checker.getSymbolAtLocation(program.getSourceFile(file)!)!;
      const [type, property] = name.split(".") as [string, string];
      const alias = checker.getExportsOfModule(module).find((s) => s.name === type)!;
      const symbol = checker.getDeclaredTypeOfSymbol(alias).getProperty(property)!;
      return ts.displayPartsToString(symbol.getDocumentationComment(checker));
    };
    expect(documentation("XorInputs.x")).toBe("[2]");
    expect(documentation("XorOutputs.p")).toBe("[1]");
  });

  it("stay out of the JavaScript dialect", () => {
    const javascript = emitted("xor.nn", { language: "javascript" });
    expect(javascript).not.toMatch(/XorInputs|XorOutputs|XorBatch|XorTargets|^\s*(export )?type /m);
    expect(javascript).toContain("predict(inputs, size) {");
  });
});

describe("a user's code compiled against the emitted module", () => {
  const models = { "model.ts": xor, "model64.ts": emitted("xor.nn", { dtype: "float64" }), "reverse.ts": emitted("reverse.nn") };

  const correct = `
    import { evaluate, predict, train, type Dataset } from "neuron/runtime";
    import { create, type XorBatch, type XorInputs } from "./model.js";
    import { create as create64 } from "./model64.js";
    import { create as createReverse } from "./reverse.js";

    const model = create({ seed: 0 });
    const inputs: XorInputs = { x: Float32Array.of(1, 0) };
    // A named output, and its values, with no "!" and no ["p"].
    export const p: Float32Array = model.predict(inputs, 1).p;
    export const first: number | undefined = p[0];
    const batch: XorBatch = { size: 1, inputs, targets: { y: Float32Array.of(1) } };
    export const loss: number = model.trainStep(batch) + model.forwardBackward(batch) + model.evaluate(batch).loss;
    // The runtime takes the class as the CompiledModel it implements.
    const data: Dataset = { size: 1, inputs, targets: batch.targets };
    export const trained = await train(model, data, { epochs: 1 });
    export const evaluated = evaluate(model, data);
    export const predicted = predict(model, data);
    export const doubles: Float64Array = create64().predict({ x: Float64Array.of(1, 0) }, 1).p;
    export const logits: Float32Array = createReverse().predict({ tokens: new Int32Array(8) }, 1).logits;
  `;
  const wrong = {
    "misspelt-input.ts": `import { create } from "./model.js";\nexport const out = create().predict({ xx: Float32Array.of(1, 0) }, 1);\n`,
    "misspelt-output.ts": `import { create } from "./model.js";\nexport const out = create().predict({ x: Float32Array.of(1, 0) }, 1).q;\n`,
    "float64-to-float32.ts": `import { create } from "./model.js";\nexport const out = create().predict({ x: Float64Array.of(1, 0) }, 1);\n`,
    "float32-to-float64.ts": `import { create } from "./model64.js";\nexport const out = create().predict({ x: Float32Array.of(1, 0) }, 1);\n`,
    "floats-to-int.ts": `import { create } from "./reverse.js";\nexport const out = create().predict({ tokens: new Float32Array(8) }, 1);\n`,
    "missing-target.ts": `import { create } from "./model.js";\nexport const loss = create().trainStep({ size: 1, inputs: { x: Float32Array.of(1, 0) }, targets: {} });\n`,
  };

  it("passes under strict and under every flag of @tsconfig/strictest when it is correct", () => {
    for (const options of [base, strictest]) {
      expect(diagnosticsByFile(models, { "correct.ts": correct }, options)).toEqual({ "model.ts": [], "model64.ts": [], "reverse.ts": [], "correct.ts": [] });
    }
  });

  it("fails to type-check at a misspelt name or an array of the wrong kind, naming both", () => {
    const found = diagnosticsByFile(models, wrong, strictest);
    expect(found["misspelt-input.ts"]).toEqual([
      "2: Object literal may only specify known properties, and 'xx' does not exist in type 'XorInputs'.",
    ]);
    expect(found["misspelt-output.ts"]).toEqual(["2: Property 'q' does not exist on type 'XorOutputs'."]);
    for (const [file, given, expected] of [
      ["float64-to-float32.ts", "Float64Array", "Float32Array"],
      ["float32-to-float64.ts", "Float32Array", "Float64Array"],
      ["floats-to-int.ts", "Float32Array", "Int32Array"],
    ] as const) {
      expect(found[file], file).toHaveLength(1);
      expect(found[file]![0], file).toMatch(new RegExp(`^2: Type '${given}<ArrayBuffer>' is not assignable to type '${expected}<ArrayBufferLike>'\\.`));
    }
    expect(found["missing-target.ts"]).toEqual([expect.stringMatching(/^2: Property 'y' is missing in type '\{\}' but required in type 'XorTargets'\./)]);
    expect(found["model.ts"]).toEqual([]);
  });
});
