// Runs Debian's python3 with PyTorch and onnx for the interop tests. Without them the tests
// fail (they are not skipped): CI must really run them.
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const PYTHON = "/usr/bin/python3";
const INSTALL = "apt-get install python3-torch python3-onnx";

let checked = false;

export function requirePythonInterop(): void {
  if (checked) return;
  const r = spawnSync(PYTHON, ["-c", "import torch, onnx"], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`the interop tests need Debian's python3 with PyTorch and onnx: ${INSTALL} (${(r.stderr || r.error?.message || "").trim().split("\n").at(-1)})`);
  checked = true;
}

/** Runs `script` with python3 in `cwd`; returns stdout, throws with stderr on failure. */
export function python(script: string, cwd: string, args: string[] = []): string {
  requirePythonInterop();
  const r = spawnSync(PYTHON, ["-c", script, ...args], { cwd, encoding: "utf8", maxBuffer: 1 << 28, env: { ...process.env, OMP_NUM_THREADS: "1" } });
  if (r.status !== 0) throw new Error(`python3 failed (${r.status}):\n${r.stderr}`);
  return r.stdout;
}

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), "nnc-export-"));
}
