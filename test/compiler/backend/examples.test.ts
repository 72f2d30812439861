// Every example compiles, and every emitted module type-checks in a user's project: under
// plain `strict`, and under the strictest flags such projects add to it (@tsconfig/strictest:
// noUncheckedIndexedAccess, noUnused*, exactOptionalPropertyTypes, verbatimModuleSyntax, ...).
// The modules checked are the four examples, the models of every_op.nn and the tiny model of
// every library entry (entry-models.ts), which between them use every op, loss and
// activation, in both dtypes and with zero-skipping off as well.
// Each flag set is one TypeScript program over all of them (tsc-program.ts).

import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { checkText } from "../../../compiler/check/index.js";
import { compileToIr, emitModule, type EmitOptions } from "../../../compiler/compile.js";
import type { ModelGraph } from "../../../compiler/graph.js";
import { activations } from "../../../compiler/ir/ops/activations.js";
import { ops } from "../../../compiler/ir/ops/index.js";
import { losses } from "../../../compiler/ir/ops/losses.js";
import { layerEntries } from "../../../compiler/library/index.js";
import { entryModel } from "./entry-models.js";
import { base, diagnostics, strictest } from "./tsc-program.js";

const examplesDir = fileURLToPath(new URL("../../../examples/", import.meta.url));
const everyOpFile = fileURLToPath(new URL("./every_op.nn", import.meta.url));

function graphsOf(pathOrText: string, file: string, isText = false): ModelGraph[] {
  const result = checkText(isText ? pathOrText : readFileSync(pathOrText, "utf8"), file);
  const errors = result.diagnostics.filter((d) => d.severity === "error");
  if (errors.length > 0) throw new Error(`${file}: ${errors.map((d) => d.message).join("; ")}`);
  return result.models;
}

function exampleGraphs(): ModelGraph[] {
  return readdirSync(examplesDir)
    .filter((f) => f.endsWith(".nn"))
    .sort()
    .flatMap((file) => graphsOf(examplesDir + file, file));
}

/**
 * The options every model is emitted with: both dtypes, the dense products without
 * zero-skipping, and the wasm back end (one memory, WebAssembly kernels beside the JavaScript ones).
 */
const variants: Record<string, EmitOptions> = {
  float32: { dtype: "float32" },
  float64: { dtype: "float64" },
  dense: { dtype: "float32", skipZeros: false },
  wasm: { dtype: "float32", backend: "wasm" },
};

/** Every model in every variant, by virtual file name. */
function emittedModules(graphs: readonly ModelGraph[], language: "typescript" | "javascript", wasmGraphs: ReadonlySet<ModelGraph>): Map<string, string> {
  const files = new Map<string, string>();
  for (const graph of graphs) {
    for (const [variant, options] of Object.entries(variants)) {
      // The wasm variant's text differs from float32's only in the class around the kernels: the
      // examples and every_op.nn cover it without another copy of every library entry.
      if (variant === "wasm" && !wasmGraphs.has(graph)) continue;
      files.set(`/virtual/${graph.name}.${variant}.${language === "typescript" ? "ts" : "js"}`, emitModule(graph, { ...options, language }));
    }
  }
  return files;
}

describe("examples", () => {
  const examples = exampleGraphs();
  const everyOp = graphsOf(everyOpFile, "every_op.nn");
  const everyEntry = [...layerEntries.values()].flatMap((entry) => graphsOf(entryModel(entry), `${entry.name} (entry-models.ts)`, true));
  const graphs = [...examples, ...everyOp, ...everyEntry];
  const wasmGraphs = new Set([...examples, ...everyOp]);
  const modules = emittedModules(graphs, "typescript", wasmGraphs);

  it("finds the four shared examples and ours", () => {
    expect(examples.map((e) => e.name).sort()).toEqual(["LstmSum", "MnistCnn", "MnistMlp", "Reverse", "SpikingMnist", "Xor"]);
  });

  it("are checked together with models that use every op, loss and activation", () => {
    const programs = graphs.map((g) => compileToIr(g));
    const used = new Set(programs.flatMap((p) => p.ops.map((op) => op.op)));
    expect([...Object.keys(ops)].filter((op) => !used.has(op))).toEqual([]);
    const usedLosses = new Set(programs.flatMap((p) => p.losses.map((l) => l.op)));
    expect(Object.keys(losses).filter((l) => !usedLosses.has(l))).toEqual([]);
    // On its own (its own kernel) and fused into the layer before it (that layer's kernels).
    const alone = new Set(programs.flatMap((p) => p.ops.map((op) => op.attrs["fn"])));
    const fused = new Set(programs.flatMap((p) => p.ops.map((op) => op.attrs["activation"])));
    // identity is a view (no kernel at all), and gelu and silu never fuse.
    expect(Object.keys(activations).filter((a) => a !== "identity" && !alone.has(a))).toEqual([]);
    expect(Object.keys(activations).filter((a) => activations[a]!.fromOutput && a !== "identity" && !fused.has(a))).toEqual([]);
  });

  it("emit modules under 200 KB that import nothing but the runtime", () => {
    for (const [file, source] of modules) {
      const imports = [...source.matchAll(/from "([^"]+)"/g)].map((m) => m[1]);
      expect(new Set(imports), file).toEqual(new Set(["neuron/runtime"]));
      expect(source.length, `${file} is ${source.length} characters`).toBeLessThan(200_000);
    }
  });

  it("emit modules that pass tsc --strict --noEmit", () => {
    expect(diagnostics(modules, base)).toEqual([]);
  });

  it("emit modules that pass tsc under every flag of @tsconfig/strictest", () => {
    expect(diagnostics(modules, strictest)).toEqual([]);
  });

  it("emit JavaScript without TypeScript syntax for in-memory loading", () => {
    const files = emittedModules(graphs, "javascript", wasmGraphs);
    const options: ts.CompilerOptions = { ...base, allowJs: true, checkJs: false };
    const program = ts.createProgram({
      rootNames: [...files.keys()],
      options,
      host: { ...ts.createCompilerHost(options), getSourceFile: (f, l) => ts.createSourceFile(f, files.get(f) ?? "", l, true, ts.ScriptKind.JS) },
    });
    const problems = [...files.keys()].flatMap((f) =>
      program.getSyntacticDiagnostics(program.getSourceFile(f)).map((d) => `${f}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`),
    );
    expect(problems).toEqual([]);
  });
});
