// Loading a model in memory (Node only), for `nnc train`, `eval`, `predict` and tests: emit
// the module straight as JavaScript (the emitter's second dialect: no TypeScript compiler to
// load, no prettier), write it into a cache directory keyed by a hash of its text, and
// import it.
//
// The emitted module imports the runtime by an absolute file URL computed from this file's
// own location, so it works both from dist/ under plain node (dist/runtime/index.js) and from
// the TypeScript sources under vitest (runtime/index.ts, which vitest transforms).

import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { ModelGraph } from "./graph.js";
import { emitModule, type Backend } from "./compile.js";
import { LoweringError } from "./ir/lower.js";
import { checkedModel, ModelSourceError, unreadableReason } from "./model-source.js";
import type { ModelModule } from "../runtime/model.js";

export interface LoadOptions {
  dtype?: "float32" | "float64";
  /** Which model of the file; needed only when it defines several. */
  model?: string;
  /** As in EmitOptions: false compiles dense products that do every multiply-add. */
  skipZeros?: boolean;
  /** As in EmitOptions (default js); the commands choose with chooseBackend. */
  backend?: Backend;
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
 * Where compiled models are cached, never in the user's working directory. From dist/, the
 * `node_modules/.cache/neuron` that holds this package: the enclosing one where the package
 * is installed as a dependency, its own in a clone of the repository. From the sources, the
 * repository's own .cache/ instead: vitest hands anything under node_modules straight to
 * Node, which cannot import the runtime's .ts files, while files elsewhere in the project go
 * through vitest's transform like the tests themselves.
 */
function cacheDirectory(): string {
  const packageRoot = fileURLToPath(new URL(fromSources ? "../" : "../../", import.meta.url));
  const installedIn = dirname(packageRoot);
  const nodeModules = basename(installedIn) === "node_modules" ? installedIn : join(packageRoot, "node_modules");
  const candidates = fromSources
    ? [join(packageRoot, ".cache", "neuron"), join(tmpdir(), "neuron-cache")]
    : [join(nodeModules, ".cache", "neuron"), join(tmpdir(), "neuron-cache")];
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

/** Writes an emitted JavaScript module into the cache (atomically), once per content. */
export function cacheModule(js: string): string {
  const hash = createHash("sha256").update(js).digest("hex").slice(0, 24);
  const file = join(cacheDirectory(), `model-${hash}.mjs`);
  if (!existsSync(file)) {
    const temporary = `${file}.${process.pid}.tmp`;
    writeFileSync(temporary, js);
    renameSync(temporary, file);
  }
  return file;
}

/**
 * Reads, checks, compiles and imports a `.nn` file's model. Every problem with the file (it
 * cannot be read, has errors, names no such model, uses what the back end cannot compile)
 * is a ModelSourceError whose message is ready to print.
 */
export async function loadModel(file: string, options: LoadOptions = {}): Promise<LoadedModel> {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new ModelSourceError(`${file}: cannot read: ${unreadableReason(e)}`);
  }
  return loadModelFromGraph(checkedModel(text, file, options.model), options, file);
}

/** `sourceFile` names the `.nn` file in the message of a model the back end cannot compile. */
export async function loadModelFromGraph(graph: ModelGraph, options: LoadOptions = {}, sourceFile?: string): Promise<LoadedModel> {
  let source: string;
  try {
    source = emitModule(graph, { dtype: options.dtype ?? "float32", runtimeImport: runtimeSpecifier(), language: "javascript", skipZeros: options.skipZeros ?? true, backend: options.backend ?? "js" });
  } catch (e) {
    if (e instanceof LoweringError) throw new ModelSourceError(sourceFile !== undefined ? e.located(sourceFile) : `model ${graph.name}: ${e.message}`);
    throw e;
  }
  const file = cacheModule(source);
  const module = (await import(pathToFileURL(file).href)) as ModelModule;
  return { graph, module };
}
