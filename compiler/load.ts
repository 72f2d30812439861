// Loading a model in memory (Node only), for `nnc train`, `eval`, `predict` and tests: emit
// without prettier, transpile with TypeScript's transpileModule, write the JavaScript into a
// cache directory keyed by a hash of the module, and import it.
//
// The emitted module imports the runtime by an absolute file URL computed from this file's
// own location, so it works both from dist/ under plain node (dist/runtime/index.js) and from
// the TypeScript sources under vitest (runtime/index.ts, which vitest transforms).

import { createHash } from "node:crypto";
import { mkdirSync, renameSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { ts } from "ts-morph";
import type { ModelGraph } from "./graph.js";
import { emitModule } from "./compile.js";
import type { ModelModule } from "../runtime/model.js";

export interface LoadOptions {
  dtype?: "float32" | "float64";
}

export interface LoadedModel {
  graph: ModelGraph;
  module: ModelModule;
}

/** Running from the TypeScript sources (vitest), not from dist/. */
const fromSources = import.meta.url.endsWith(".ts");

/** The runtime beside this file: index.ts when running from sources, index.js from dist/. */
export function runtimeSpecifier(): string {
  const ext = fromSources ? "ts" : "js";
  return new URL(`../runtime/index.${ext}`, import.meta.url).href;
}

/**
 * From dist/, the user's project cache (node_modules/.cache/neuron). From the sources, the
 * repository's own .cache/ instead: vitest hands anything under node_modules straight to
 * Node, which cannot import the runtime's .ts files, while files elsewhere in the project go
 * through vitest's transform like the tests themselves.
 */
function cacheDirectory(): string {
  const candidates = fromSources
    ? [fileURLToPath(new URL("../.cache/neuron/", import.meta.url)), join(tmpdir(), "neuron-cache")]
    : [join(process.cwd(), "node_modules", ".cache", "neuron"), join(tmpdir(), "neuron-cache")];
  for (const dir of candidates) {
    try {
      mkdirSync(dir, { recursive: true });
      return dir;
    } catch {
      // not writable: try the next place
    }
  }
  throw new Error(`cannot create a cache directory for compiled models (tried ${candidates.join(", ")})`);
}

/** Transpiles an emitted module to JavaScript and writes it into the cache (atomically), once per content. */
export function cacheModule(source: string): string {
  const hash = createHash("sha256").update(source).digest("hex").slice(0, 24);
  const file = join(cacheDirectory(), `model-${hash}.mjs`);
  if (!existsSync(file)) {
    const js = ts.transpileModule(source, {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    }).outputText;
    const temporary = `${file}.${process.pid}.tmp`;
    writeFileSync(temporary, js);
    renameSync(temporary, file);
  }
  return file;
}

export async function loadModelFromGraph(graph: ModelGraph, options: LoadOptions = {}): Promise<LoadedModel> {
  const source = emitModule(graph, { dtype: options.dtype ?? "float32", runtimeImport: runtimeSpecifier() });
  const file = cacheModule(source);
  const module = (await import(pathToFileURL(file).href)) as ModelModule;
  return { graph, module };
}
