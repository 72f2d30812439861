// `nnc export`: its usage errors, what it writes, and that --weights reach the ONNX file.
import { existsSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { nnc, xorProject } from "../cli/run-nnc.js";

describe("nnc export", () => {
  it("writes the module and train.py beside it", async () => {
    const p = xorProject();
    const r = await nnc("export", p.model, "--format", "pytorch", "-o", p.at("xor_model.py"));
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(readFileSync(p.at("xor_model.py"), "utf8")).toContain("class Xor(nn.Module):");
    expect(readFileSync(p.at("train.py"), "utf8")).toContain("import xor_model as spec");
  });

  it("embeds --weights in the ONNX file, and the initial weights without it", async () => {
    const p = xorProject();
    await nnc("train", p.model, "--steps", "0", "--seed", "7", "--save", p.at("w.safetensors"));
    expect((await nnc("export", p.model, "--format", "onnx", "-o", p.at("a.onnx"), "--weights", p.at("w.safetensors"))).code).toBe(0);
    expect((await nnc("export", p.model, "--format", "onnx", "-o", p.at("b.onnx"), "--seed", "7")).code).toBe(0);
    expect((await nnc("export", p.model, "--format", "onnx", "-o", p.at("c.onnx"))).code).toBe(0);
    const [a, b, c] = ["a", "b", "c"].map((f) => readFileSync(p.at(`${f}.onnx`)));
    expect(a.equals(b!)).toBe(true);
    expect(a.equals(c!)).toBe(false);
  });

  it("refuses bad usage with one line and exit 2", async () => {
    const p = xorProject();
    const cases: [string[], RegExp][] = [
      [["-o", p.at("m.py")], /needs --format pytorch or --format onnx/],
      [["--format", "tflite", "-o", p.at("m.py")], /needs --format pytorch or --format onnx, got 'tflite'/],
      [["--format", "onnx"], /needs -o OUT \(e\.g\. -o model\.onnx\)/],
      [["--format", "pytorch", "-o", p.at("my-model.py")], /name a Python module file, e\.g\. model\.py/],
      [["--format", "pytorch", "-o", p.at("train.py")], /train\.py is the training script/],
      [["--format", "pytorch", "-o", p.at("m.py"), "--weights", "w.safetensors"], /--weights and --seed are for --format onnx/],
      [["--format", "onnx", "-o", p.model], /-o .* is the same file as the model .*: writing it would destroy the input/],
    ];
    for (const [args, message] of cases) {
      const r = await nnc("export", p.model, ...args);
      expect(r.stderr, args.join(" ")).toMatch(message);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
      expect(r.code).toBe(2);
    }
    expect(existsSync(p.at("m.py"))).toBe(false);
  });

  it("never writes over its --weights, and checks -o before any work", async () => {
    const p = xorProject();
    await nnc("train", p.model, "--steps", "0", "--save", p.at("w.safetensors"));
    const before = readFileSync(p.at("w.safetensors"));
    const same = await nnc("export", p.model, "--format", "onnx", "--weights", p.at("w.safetensors"), "-o", p.at("w.safetensors"));
    expect(same.stderr).toMatch(/-o .*w\.safetensors is the same file as --weights .*w\.safetensors/);
    expect(same.code).toBe(2);
    expect(readFileSync(p.at("w.safetensors")).equals(before)).toBe(true);
    const folder = await nnc("export", p.model, "--format", "onnx", "-o", `${p.at("out")}/`);
    expect(folder.stderr).toMatch(/names a folder; add a file name, e\.g\. .*model\.onnx/);
    expect(folder.code).toBe(1);
  });
});
