// The back end's entry point: a checked model in, the TypeScript source of its module out.
// Pipeline: lower to the IR, fuse activations, mark where dense layers skip exact
// zeros (unless told not to), differentiate, plan memory, emit.

import type { ModelGraph } from "./graph.js";
import { differentiate } from "./ir/autodiff.js";
import { fuseActivations } from "./ir/fuse.js";
import type { IrProgram } from "./ir/ir.js";
import { lower } from "./ir/lower.js";
import { markZeroSkipping } from "./ir/sparsity.js";
import { planMemory } from "./emit/memory.js";
import { emitModuleSource, FORMAT_LIMIT } from "./emit/module.js";
import { hasWasmSimd } from "../runtime/wasm.js";

export interface EmitOptions {
  dtype?: "float32" | "float64";
  /**
   * TypeScript (default) for `nnc compile`, or JavaScript for loading in memory without a
   * TypeScript compiler (compiler/load.ts).
   */
  language?: "typescript" | "javascript";
  /** Where the module imports the runtime from; default "neuron/runtime". */
  runtimeImport?: string;
  /**
   * Skip the exact zeros of relu gradients and mostly-zero inputs in dense products (default
   * true; ir/sparsity.ts). Off, every product does all of its multiply-adds: the same
   * results up to the order of the sums, for measuring the arithmetic rate honestly.
   */
  skipZeros?: boolean;
  /**
   * "wasm": every buffer a view into one WebAssembly.Memory and the ops that have WebAssembly
   * SIMD kernels run them (dense, conv2d, relu, add; docs/wasm-backend.md), with the JavaScript
   * kernels kept for engines without SIMD. The wasm dense kernels skip the zeros of a
   * mostly-zero x as the JavaScript ones do (`sparseInput`; wasm/sparse.ts), not those of a
   * relu-masked gy (`sparseGradient`). float64 models always get "js". Default
   * "js" here, so that the emitted text does not depend on the machine compiling it; the
   * `nnc` commands choose with chooseBackend.
   */
  backend?: Backend;
}

export type Backend = "wasm" | "js";

export interface BackendChoice {
  backend: Backend;
  /** One line for the user when the choice is not the one asked for (or the default), else null. */
  note: string | null;
}

/**
 * The back end for `--backend` (undefined: the default, wasm where it pays): wasm needs
 * WebAssembly SIMD in this engine and a float32 model.
 */
export function chooseBackend(requested: Backend | undefined, dtype: "float32" | "float64", simd: boolean = hasWasmSimd()): BackendChoice {
  if (requested === "js") return { backend: "js", note: null };
  if (dtype === "float64") {
    const note = requested === "wasm" ? "note: float64 models run on the JavaScript kernels (WebAssembly SIMD is float32); using --backend js" : null;
    return { backend: "js", note };
  }
  if (!simd) return { backend: "js", note: "note: this engine has no WebAssembly SIMD; using --backend js" };
  return { backend: "wasm", note: null };
}

export interface IrOptions {
  /** As in EmitOptions. */
  skipZeros?: boolean;
}

export const DEFAULT_RUNTIME_IMPORT = "neuron/runtime";

/** The IR after every compile-time pass; exposed for tests and tools. */
export function compileToIr(graph: ModelGraph, options: IrOptions = {}): IrProgram {
  const fused = fuseActivations(lower(graph));
  return options.skipZeros === false ? fused : markZeroSkipping(fused);
}

export function emitModule(graph: ModelGraph, options: EmitOptions = {}): string {
  const dtype = options.dtype ?? "float32";
  const backend = dtype === "float32" ? (options.backend ?? "js") : "js";
  const program = compileToIr(graph, { skipZeros: options.skipZeros ?? true });
  const schedule = differentiate(program);
  const plan = planMemory(program, schedule, dtype);
  return emitModuleSource(program, schedule, plan, {
    dtype,
    runtimeImport: options.runtimeImport ?? DEFAULT_RUNTIME_IMPORT,
    language: options.language ?? "typescript",
    backend,
  });
}

/**
 * Prettier over an emitted module (asynchronous, as prettier 3 is): for `nnc compile`. A module
 * over FORMAT_LIMIT is returned as emitted, already indented, since prettier would take minutes;
 * so is one where prettier is not installed (an optional peer dependency: 12 MB that only
 * changes the layout).
 */
export async function formatModule(source: string): Promise<string> {
  if (source.length > FORMAT_LIMIT) return source;
  let prettier: typeof import("prettier");
  try {
    prettier = await import("prettier");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ERR_MODULE_NOT_FOUND") return source;
    throw error;
  }
  return prettier.format(source, { parser: "typescript", printWidth: 110 });
}
