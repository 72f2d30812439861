// Chooses and starts the TensorFlow.js backend the reference runs on, once per process.
//
// Both backends are pure JavaScript/WebAssembly, so they run anywhere Node runs; the native
// tfjs-node backend is deliberately not used: the comparison is against what a browser user gets.
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import { createRequire } from "node:module";
import path from "node:path";
import { registerTfjsGradients } from "./tfjs-gradients.js";

export type TfjsBackendName = "cpu" | "wasm";

let wasmPathsSet = false;

/** The folder holding tfjs-backend-wasm's .wasm binaries, with the trailing slash setWasmPaths wants. */
export function wasmBinaryFolder(): string {
  const require = createRequire(import.meta.url);
  // Under Node the Emscripten loader reads the binary with fs, so a plain path prefix works
  // (a file:// URL would be handed to fetch, which Node 20 cannot do for files).
  const wasmFile = require.resolve("@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm");
  return path.dirname(wasmFile) + path.sep;
}

/** Makes `name` the active backend and waits until it is ready. */
export async function useTfjsBackend(name: TfjsBackendName): Promise<void> {
  // tfjs warns on first use under Node that tfjs-node would be faster; PROD silences it and
  // skips debug-only checks, which is how a user measuring speed would run it.
  tf.env().set("PROD", true);
  await registerTfjsGradients();
  if (name === "wasm" && !wasmPathsSet) {
    setWasmPaths(wasmBinaryFolder());
    wasmPathsSet = true;
  }
  const ok = await tf.setBackend(name);
  if (!ok) throw new Error(`TensorFlow.js backend '${name}' failed to start`);
  await tf.ready();
}

export { tf };
