// `nnc compile` and `loadModel`: output, and a clean message for every bad input.

import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { run } from "../../../cli/main.js";
import { loadModel } from "../../../compiler/load.js";
import { ModelSourceError } from "../../../compiler/model-source.js";

const examples = fileURLToPath(new URL("../../../examples/", import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), "nnc-compile-"));

async function nnc(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const code = await run(argv, { stdout: { write: (t: string) => (stdout += t) }, stderr: { write: (t: string) => (stderr += t) } });
  return { code, stdout, stderr };
}

const broken = join(scratch, "broken.nn");
writeFileSync(broken, "model M {\n  input x: [4]\n  output y = x |> dense(3) |> relux\n}\n");

describe("nnc compile", () => {
  it("writes a prettier-formatted module to -o", async () => {
    const out = join(scratch, "xor.ts");
    const result = await nnc("compile", join(examples, "xor.nn"), "-o", out);
    expect(result).toMatchObject({ code: 0, stderr: "" });
    const text = readFileSync(out, "utf8");
    expect(text).toContain('from "neuron/runtime"');
    expect(text).toContain("export class Xor implements CompiledModel");
    expect(text).toContain("export function create(");
  });

  it("prints to stdout with --dtype float64 and --runtime", async () => {
    const result = await nnc("compile", join(examples, "xor.nn"), "--dtype", "float64", "--runtime", "./rt.js");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("const F = Float64Array;");
    expect(result.stdout).toContain('from "./rt.js"');
  });

  it("reports the file's errors as file:line:col and exits 1", async () => {
    const result = await nnc("compile", broken);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/broken\.nn:3:\d+: error: .*relux/);
    expect(result.stderr).not.toContain("    at ");
  });

  it("rejects usage mistakes with exit 2 and one line", async () => {
    expect(await nnc("compile")).toMatchObject({ code: 2 });
    expect((await nnc("compile", join(scratch, "missing.nn"))).stderr).toContain("no such file");
    const dtype = await nnc("compile", join(examples, "xor.nn"), "--dtype", "int8");
    expect(dtype.code).toBe(2);
    expect(dtype.stderr).toBe("nnc: --dtype must be float32 or float64, got 'int8'\n");
    const model = await nnc("compile", join(examples, "xor.nn"), "--model", "Xro");
    expect(model.code).toBe(1);
    expect(model.stderr).toContain("no model named 'Xro' (did you mean 'Xor'?)");
  });

  it("names a missing output folder, checking before anything is half-written", async () => {
    const out = join(scratch, "no-such-folder", "xor.ts");
    const result = await nnc("compile", join(examples, "xor.nn"), "-o", out);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`${out}: cannot write: the folder ${join(scratch, "no-such-folder")} does not exist; create it first\n`);
  });
});

describe("loadModel", () => {
  it("compiles and imports a .nn file's model", async () => {
    const { graph, module } = await loadModel(join(examples, "xor.nn"));
    expect(graph.name).toBe("Xor");
    expect(module.info.params.map((p) => p.name)).toEqual([
      "hidden.dense_0.weight",
      "hidden.dense_0.bias",
      "p.dense_0.weight",
      "p.dense_0.bias",
    ]);
    expect(module.create().maxBatch).toBe(4);
  });

  it("throws a ModelSourceError carrying the formatted diagnostics", async () => {
    await expect(loadModel(broken)).rejects.toThrow(ModelSourceError);
    await expect(loadModel(broken)).rejects.toThrow(/broken\.nn:3:\d+: error:/);
    await expect(loadModel(join(scratch, "nope.nn"))).rejects.toThrow("cannot read");
  });
});
