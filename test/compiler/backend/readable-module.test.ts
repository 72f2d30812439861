// What a reader of an emitted module sees: fields named after layers, kernel parameters named
// after what they hold, the runtime's checks imported rather than pasted, constants folded, no
// loop that runs once, and a small module for a small model.

import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { checkText, emitModule } from "../../../compiler/index.js";
import { loadModelFromGraph } from "../../../compiler/load.js";

function graphsOf(url: URL) {
  const checked = checkText(readFileSync(url, "utf8"));
  expect(checked.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  return checked.models;
}

function xorModule(): string {
  return emitModule(graphsOf(new URL("../../../examples/xor.nn", import.meta.url))[0]!);
}

/** Every example's and every_op.nn's modules, by model name. */
function allModules(): [string, string][] {
  const examples = new URL("../../../examples/", import.meta.url);
  const files = readdirSync(examples)
    .filter((f) => f.endsWith(".nn"))
    .map((f) => new URL(f, examples));
  return [...files, new URL("./every_op.nn", import.meta.url)].flatMap((url) => graphsOf(url).map((g): [string, string] => [g.name, emitModule(g)]));
}

/** The loops of a module whose bounds are constants and that run at most once. */
function loopsRunningOnce(source: string): string[] {
  const loops = source.matchAll(/for \(let (\w+) = (\d+)(?:, \w+ = \d+)*; \1 < (\d+); \1(\+\+| \+= (\d+))/g);
  return [...loops].filter((m) => Number(m[3]) - Number(m[2]) <= (m[5] === undefined ? 1 : Number(m[5]))).map((m) => m[0]);
}

describe("every emitted module", () => {
  const modules = allModules();

  it("names kernel parameters after what they hold, not by position", () => {
    for (const [name, source] of modules) {
      const signatures = [...source.matchAll(/^function \w+\(([^)]*)\)/gm)].map((m) => m[1]!);
      expect(signatures.length, name).toBeGreaterThan(0);
      expect(signatures.filter((s) => /\bg?x\d\b/.test(s)), name).toEqual([]);
    }
  });

  it("folds multiplications by 1 and additions of 0, and writes no loop that runs once", () => {
    for (const [name, source] of modules) {
      const code = source.replace(/\/\/.*$/gm, "");
      expect(code.match(/[^\w.]1 \* [\w(]|\* 1\b(?![.\de])|[^\w.]0 \+ |\+ 0\b(?![.\de])|- 0\b(?![.\de])/g), name).toBeNull();
      expect(loopsRunningOnce(code), name).toEqual([]);
    }
  });
});

describe("the size of xor's module", () => {
  it("is a few hundred lines for its twelve", () => {
    // It was 662 lines (919 once prettier laid it out), with four register-blocked variants of
    // each tiny product and the model's info one value a line.
    expect(xorModule().split("\n").length).toBeLessThan(400);
  });
});

describe("the emitted xor module", () => {
  const source = xorModule();
  const classText = source.slice(source.indexOf("export class"));

  it("names the parameters of its kernels after the layer's tensors", () => {
    expect(source).toMatch(/^function k0_dense\(n: number, x: F, weight: F, bias: F, y: F\): void \{$/m);
    expect(source).toMatch(/^function k1_dense_backward\(n: number, x: F, weight: F, y: F, s0: Float64Array, gy: F, gx: F, gweight: F, gbias: F\): void \{$/m);
    expect(source).toMatch(/^function loss0_binary_cross_entropy\(n: number, prediction: F, target: F\): number \{$/m);
  });

  it("names each buffer after its layer", () => {
    // The caller's arrays are fields, bound per call; every allocated buffer is in `b`, declared
    // once in the module's buffer table.
    for (const field of ["input_x", "target_y"]) expect(classText).toContain(`this.${field}`);
    for (const field of ["hidden_dense_weight", "grad_hidden_dense_weight", "hidden_dense_tanh", "grad_p_dense_sigmoid", "p_dense_bias_sums"]) {
      expect(classText).toContain(`b.${field}`);
      expect(source).toMatch(new RegExp(`^  ${field}: \\[`, "m"));
    }
    expect(classText).not.toMatch(/\b(this|b)\.(act|grad_act|param|grad|input|target|scratch)\d/);
  });

  it("imports the runtime's argument, batch, weight and non-finite checks instead of pasting them", () => {
    expect(source).toMatch(/^import \{[^}]*\bfloatArg\b[^}]*\bcheckParameterValues\b[^}]*\bfirstNonFinite\b[^}]*\} from "neuron\/runtime";$/m);
    expect(source).not.toMatch(/function (floatArg|intArg)\(/);
    expect(classText).not.toContain("Number.isFinite");
    expect(source).not.toContain("import { floatArg, intArg");
    expect(source).not.toMatch(/\bintArg\b/); // xor binds no integer tensor: nothing unused is imported
  });

  it("writes no multiplication by 1 in the class", () => {
    expect(classText).not.toMatch(/\* 1\b(?!\.)/);
  });
});

describe("the parameters' buffers", () => {
  it("are listed by name where each gradient is grad_ and its parameter's buffer", () => {
    const source = xorModule();
    expect(source).toMatch(/this\.paramBuffers = parameterBuffers\(b, info\.params, \[\n\s*"hidden_dense_weight",\n\s*"hidden_dense_bias",/);
  });

  // A layer named grad_h takes the name h's weight gradient would have had.
  const text = ["model Clash {", "  input x: [2]", "  target y: [1]", "  grad_h = x |> dense(3)", "  h = grad_h |> dense(1)", "  output p = h", "  loss mse(p, y)", "  optimizer sgd(lr: 0.1)", "}", ""].join("\n");

  it("are named so that each gradient's name is still grad_ and its parameter's where a layer took it, and train as their parameters", async () => {
    const graph = checkText(text, "clash.nn").models[0]!;
    const source = emitModule(graph);
    expect(source).toMatch(/^ {2}grad_h_dense_weight: \["F", 0, 6\],$/m);
    expect(source).toMatch(/^ {2}h_dense_weight_2: \["F", 0, 3\],\n {2}grad_h_dense_weight_2: \["F", 0, 3\],$/m);
    const { module } = await loadModelFromGraph(graph, { backend: "wasm" });
    const model = module.create({ seed: 1, maxBatch: 2 });
    const batch = { size: 2, inputs: { x: Float32Array.of(1, 2, 3, 4) }, targets: { y: Float32Array.of(1, -1) } };
    model.forwardBackward(batch);
    // Each parameter's gradient is its own: a nonzero one of its length, not another parameter's.
    for (const [name, grad] of model.getGradients!()) {
      expect(grad.length, name).toBe(model.getWeights().get(name)!.length);
      expect(grad.some((v) => v !== 0), name).toBe(true);
    }
    const before = model.getWeights();
    model.trainStep(batch);
    for (const [name, w] of model.getWeights()) expect([...w], name).not.toEqual([...before.get(name)!]);
  });
});
