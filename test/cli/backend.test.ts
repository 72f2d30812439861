// `--backend wasm|js`: a wrong value is a usage error; float64 and an engine without
// WebAssembly SIMD fall back to the JavaScript kernels with a one-line note, and still train.
import { readFileSync, writeFileSync } from "node:fs";
import { afterEach, describe, expect, it, vi } from "vitest";
import { nnc, xorProject } from "./run-nnc.js";

/** xor with relu instead of tanh: its dense layers then run in WebAssembly. */
function reluXor() {
  const p = xorProject();
  writeFileSync(p.model, readFileSync(p.model, "utf8").replace("|> tanh", "|> relu"));
  return p;
}

const NO_SIMD_NOTE = "note: this engine has no WebAssembly SIMD; using --backend js\n";

/** The engine's WebAssembly object, which the project's lib (ES2022, no DOM) types only as a namespace. */
function wasmApi(): { validate(bytes: Uint8Array): boolean } {
  return (globalThis as unknown as { WebAssembly: { validate(bytes: Uint8Array): boolean } }).WebAssembly;
}

describe("nnc --backend", () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it("refuses a back end it does not have", async () => {
    const p = reluXor();
    const r = await nnc("train", p.model, "--data", p.data, "--backend", "gpu");
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--backend must be wasm or js, got 'gpu'");
  });

  it("trains on wasm and on js to the same loss, within float32 rounding", async () => {
    const p = reluXor();
    const losses = [];
    for (const backend of ["wasm", "js"]) {
      const r = await nnc("train", p.model, "--data", p.data, "--backend", backend, "--epochs", "50", "--json");
      expect(r).toMatchObject({ code: 0, stderr: "" });
      losses.push((JSON.parse(r.stdout.trim().split("\n").at(-1)!) as { loss: number }).loss);
    }
    expect(Math.abs(losses[0]! - losses[1]!)).toBeLessThan(1e-4);
  });

  it("keeps float64 models on JavaScript, with a note when wasm was asked for", async () => {
    const p = reluXor();
    const asked = await nnc("train", p.model, "--data", p.data, "--dtype", "float64", "--backend", "wasm", "--epochs", "2", "--quiet");
    expect(asked).toMatchObject({ code: 0, stderr: "note: float64 models run on the JavaScript kernels (WebAssembly SIMD is float32); using --backend js\n" });
    const byDefault = await nnc("train", p.model, "--data", p.data, "--dtype", "float64", "--epochs", "2", "--quiet");
    expect(byDefault).toMatchObject({ code: 0, stderr: "" });
  });

  it("falls back to js with a note where the engine has no SIMD, and the model still trains", async () => {
    vi.spyOn(wasmApi(), "validate").mockReturnValue(false);
    const p = reluXor();
    const trained = await nnc("train", p.model, "--data", p.data, "--save", p.at("w.safetensors"), "--quiet");
    expect(trained).toMatchObject({ code: 0, stderr: NO_SIMD_NOTE });
    const evaluated = await nnc("eval", p.model, "--data", p.data, "--weights", p.at("w.safetensors"), "--json");
    expect(evaluated.stderr).toBe(NO_SIMD_NOTE);
    expect(JSON.parse(evaluated.stdout)).toMatchObject({ samples: 4 });
    const compiled = await nnc("compile", p.model, "--backend", "wasm");
    expect(compiled.stderr).toBe(NO_SIMD_NOTE);
    expect(compiled.stdout).not.toContain("WasmKernelModule");
  });

  it("compiles to a module carrying its WebAssembly kernels by default where the engine has SIMD", async () => {
    const p = reluXor();
    const compiled = await nnc("compile", p.model);
    expect(compiled).toMatchObject({ code: 0, stderr: "" });
    expect(compiled.stdout).toContain("new WasmKernelModule(");
    const js = await nnc("compile", p.model, "--backend", "js");
    expect(js.stdout).not.toContain("WasmKernelModule");
  });
});
