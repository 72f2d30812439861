// Every example compiles, and every emitted module passes `tsc --strict --noEmit` (one
// TypeScript program over all of them, with the runtime specifier mapped to the repo's
// runtime), in both dtypes.

import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { checkText } from "../../../compiler/check/index.js";
import { emitModule } from "../../../compiler/compile.js";
import type { ModelGraph } from "../../../compiler/graph.js";

const examplesDir = fileURLToPath(new URL("../../../examples/", import.meta.url));
const runtimeIndex = fileURLToPath(new URL("../../../runtime/index.ts", import.meta.url));

function exampleGraphs(): { file: string; graph: ModelGraph }[] {
  return readdirSync(examplesDir)
    .filter((f) => f.endsWith(".nn"))
    .sort()
    .flatMap((file) => {
      const result = checkText(readFileSync(examplesDir + file, "utf8"), file);
      const errors = result.diagnostics.filter((d) => d.severity === "error");
      if (errors.length > 0) throw new Error(`${file}: ${errors.map((d) => d.message).join("; ")}`);
      return result.models.map((graph) => ({ file, graph }));
    });
}

describe("examples", () => {
  const examples = exampleGraphs();

  it("finds the four shared examples", () => {
    expect(examples.map((e) => e.graph.name).sort()).toEqual(["MnistCnn", "MnistMlp", "Reverse", "Xor"]);
  });

  it("emit modules that pass tsc --strict --noEmit, importing nothing but the runtime", () => {
    const files = new Map<string, string>();
    for (const { graph } of examples) {
      for (const dtype of ["float32", "float64"] as const) {
        const source = emitModule(graph, { dtype });
        const imports = [...source.matchAll(/from "([^"]+)"/g)].map((m) => m[1]);
        expect(new Set(imports)).toEqual(new Set(["neuron/runtime"]));
        expect(source.length, `${graph.name} ${dtype} is ${source.length} characters`).toBeLessThan(200_000);
        files.set(`/virtual/${graph.name}.${dtype}.ts`, source);
      }
    }
    const options: ts.CompilerOptions = {
      strict: true,
      noEmit: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      lib: ["lib.es2022.d.ts"],
      types: [],
      skipLibCheck: true,
      allowImportingTsExtensions: true,
      paths: { "neuron/runtime": [runtimeIndex] },
    };
    const host = ts.createCompilerHost(options);
    const readFile = host.readFile.bind(host);
    const fileExists = host.fileExists.bind(host);
    const getSourceFile = host.getSourceFile.bind(host);
    host.readFile = (f) => files.get(f) ?? readFile(f);
    host.fileExists = (f) => files.has(f) || fileExists(f);
    host.getSourceFile = (f, language, onError) =>
      files.has(f) ? ts.createSourceFile(f, files.get(f)!, language) : getSourceFile(f, language, onError);
    const program = ts.createProgram([...files.keys()], options, host);
    // Only the emitted files: the runtime is type-checked with the project (npm run typecheck).
    const problems = ts
      .getPreEmitDiagnostics(program)
      .filter((d) => d.file === undefined || files.has(d.file.fileName))
      .map((d) => `${d.file?.fileName ?? ""}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`);
    expect(problems).toEqual([]);
  });
});
