// The flatten trap: a channels-first PyTorch model's dense weight after a flatten reads
// features (c, h, w); Neuron's reads (h, w, c). A state_dict of such a model is refused when
// its metadata says PyTorch, converted with --from pytorch, and then gives PyTorch's outputs
// (computed by PyTorch itself, with nn.Conv2d on NCHW tensors and nn.Flatten).
import { existsSync, writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { checkText } from "../../compiler/check/index.js";
import { analyseLayout, convertFromTorch, convertToTorch, torchFeatureIndex } from "../../compiler/export/torch-layout.js";
import { nnc, exampleProject } from "../cli/run-nnc.js";
import { python } from "./python.js";

const MODEL = `model Trap {
  input  image: [4, 5, 2]
  target label: int(3)

  features = image |> conv2d(3, kernel: 3, padding: same) |> relu |> max_pool2d(2) |> flatten
  output logits = features |> dense(3)

  loss softmax_cross_entropy(logits, label)
  optimizer sgd(lr: 0.1)
}
`;

describe("torch-layout", () => {
  it("maps Neuron's (h, w, c) feature index to PyTorch's (c, h, w)", () => {
    // [H, W, C] = [2, 3, 2]: Neuron's feature 1 is (h 0, w 0, c 1), PyTorch's index 1*6 + 0 = 6.
    expect([...torchFeatureIndex([2, 3, 2])]).toEqual([0, 6, 1, 7, 2, 8, 3, 9, 4, 10, 5, 11]);
  });

  it("finds the dense weight after the flatten of an image (through activations), and converting back and forth is the identity", () => {
    const graph = checkText(MODEL).models[0]!;
    const layout = analyseLayout(graph);
    expect(layout.sites.map((s) => [s.param, s.image, s.line])).toEqual([["logits.dense_0.weight", [2, 2, 3], 5]]);
    const w = Float32Array.from({ length: 3 * 12 }, (_, i) => i);
    const weights = new Map([["logits.dense_0.weight", w.slice()]]);
    convertToTorch(weights, layout.sites);
    expect([...weights.get("logits.dense_0.weight")!]).not.toEqual([...w]);
    convertFromTorch(weights, layout.sites);
    expect([...weights.get("logits.dense_0.weight")!]).toEqual([...w]);
  });

  it("a flattened image reaching concat cannot be converted", () => {
    const graph = checkText(MODEL.replace("output logits = features |> dense(3)", "output logits = concat(features, features) |> dense(3)")).models[0]!;
    expect(analyseLayout(graph).blocked?.node.op).toBe("concat");
  });

  it("a channels-first PyTorch state_dict: refused without --from pytorch, PyTorch's outputs with it", async () => {
    const p = exampleProject();
    writeFileSync(p.at("trap.nn"), MODEL);
    // PyTorch's own channels-first model under Neuron's names, its outputs on 4 images.
    python(
      `
import json, torch
from torch import nn
import struct
torch.manual_seed(1)
conv, dense = nn.Conv2d(2, 3, 3, padding="same"), nn.Linear(12, 3)
images = torch.randn(4, 4, 5, 2)
x = torch.relu(conv(images.permute(0, 3, 1, 2)))
logits = dense(nn.Flatten()(nn.functional.max_pool2d(x, 2)))
state = {"features.conv2d_0.weight": conv.weight, "features.conv2d_0.bias": conv.bias, "logits.dense_0.weight": dense.weight, "logits.dense_0.bias": dense.bias}
header, blobs, at = {"__metadata__": {"format": "pt"}}, [], 0
for k, v in state.items():
    b = v.detach().numpy().astype("<f4").tobytes()
    header[k] = {"dtype": "F32", "shape": list(v.shape), "data_offsets": [at, at + len(b)]}
    at += len(b)
    blobs.append(b)
h = json.dumps(header).encode()
open("torch.safetensors", "wb").write(struct.pack("<Q", len(h)) + h + b"".join(blobs))
with open("images.jsonl", "w") as f:
    for image in images.tolist():
        f.write(json.dumps({"image": image}) + "\\n")
json.dump(logits.tolist(), open("expected.json", "w"))
torch.save({k: v.detach() for k, v in state.items()}, "torch.pt")
class Evil:
    def __reduce__(self):
        import os
        return (os.system, ("touch PWNED",))
torch.save({"features.conv2d_0.weight": Evil()}, "evil.pt")
`,
      p.dir,
    );
    const refused = await nnc("predict", p.at("trap.nn"), "--weights", p.at("torch.safetensors"), "--data", p.at("images.jsonl"));
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/torch\.safetensors: its metadata says it was written by PyTorch \(format: pt\).* flattens an image at line 5: pass --from pytorch/);
    expect(refused.stderr.trim().split("\n")).toHaveLength(1);

    const expected = JSON.parse(python(`import json; print(open("expected.json").read())`, p.dir)) as number[][];
    const worst = async (...from: string[]): Promise<number> => {
      const r = await nnc("predict", p.at("trap.nn"), "--weights", p.at("torch.safetensors"), "--data", p.at("images.jsonl"), ...from);
      expect(r.stderr).toBe("");
      const got = r.stdout.trim().split("\n").map((l) => (JSON.parse(l) as { logits: number[] }).logits);
      return Math.max(...got.flatMap((row, i) => row.map((v, j) => Math.abs(v - expected[i]![j]!))));
    };
    expect(await worst("--from", "pytorch")).toBeLessThan(1e-5);

    // torch.save's own file, read without running its pickle; one that runs code is refused.
    const pt = await nnc("predict", p.at("trap.nn"), "--weights", p.at("torch.pt"), "--data", p.at("images.jsonl"));
    expect(pt.stderr).toMatch(/torch\.pt: its metadata says it was written by PyTorch \(layout: pytorch\).*pass --from pytorch/);
    const fromPt = await nnc("predict", p.at("trap.nn"), "--weights", p.at("torch.pt"), "--data", p.at("images.jsonl"), "--from", "pytorch");
    expect(fromPt.stderr).toBe("");
    const ptLogits = fromPt.stdout.trim().split("\n").map((l) => (JSON.parse(l) as { logits: number[] }).logits);
    expect(Math.max(...ptLogits.flatMap((row, i) => row.map((v, j) => Math.abs(v - expected[i]![j]!))))).toBeLessThan(1e-5);
    const evil = await nnc("predict", p.at("trap.nn"), "--weights", p.at("evil.pt"), "--data", p.at("images.jsonl"), "--from", "pytorch");
    expect(evil.code).toBe(1);
    expect(evil.stderr).toMatch(/evil\.pt: cannot read this PyTorch file without running its pickle: the pickle calls '(posix|os)\.system'.*refusing to run it; convert it/);
    expect(existsSync(p.at("PWNED"))).toBe(false);
    // The trap itself: read as Neuron's order, the same file computes something else.
    expect(await worst("--from", "neuron")).toBeGreaterThan(1e-2);

    // Converted once into a Neuron weights file, it loads anywhere without --from, the
    // exported module included; the exported module refuses the PyTorch file itself.
    const converted = await nnc("train", p.at("trap.nn"), "--steps", "0", "--init", p.at("torch.safetensors"), "--from", "pytorch", "--save", p.at("converted.safetensors"));
    expect(converted.stderr).toBe("");
    const r = await nnc("predict", p.at("trap.nn"), "--weights", p.at("converted.safetensors"), "--data", p.at("images.jsonl"));
    expect(r.stderr).toBe("");
    expect((await nnc("export", p.at("trap.nn"), "--format", "pytorch", "-o", p.at("model.py"))).code).toBe(0);
    const loaded = python(
      `
import json, torch, model
m = model.Model().eval()
m.load_state_dict(model.load_weights("converted.safetensors"))
images = torch.tensor([json.loads(line)["image"] for line in open("images.jsonl")])
print(json.dumps(m(images)["logits"].tolist()))
try:
    model.load_weights("torch.safetensors")
    print("loaded")
except ValueError as e:
    print(e)
`,
      p.dir,
    ).split("\n");
    const viaExport = JSON.parse(loaded[0]!) as number[][];
    expect(Math.max(...viaExport.flatMap((row, i) => row.map((v, j) => Math.abs(v - expected[i]![j]!))))).toBeLessThan(1e-5);
    expect(loaded[1]).toMatch(/torch\.safetensors: written by a channels-first PyTorch model.*--from pytorch/);
  }, 60_000);

  it("refuses --from pytorch on a file that says it holds Neuron's order, and pickle files with the command that converts them", async () => {
    const p = exampleProject("xor.nn", "xor.csv");
    await nnc("train", p.at("xor.nn"), "--steps", "0", "--save", p.at("w.safetensors"));
    const wrong = await nnc("eval", p.at("xor.nn"), "--weights", p.at("w.safetensors"), "--data", p.at("xor.csv"), "--from", "pytorch");
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/w\.safetensors: its metadata says it already holds Neuron's feature order \(layout: neuron\): drop --from pytorch/);
    writeFileSync(p.at("model.pt"), Uint8Array.from([0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46]));
    const pickle = await nnc("train", p.at("xor.nn"), "--data", p.at("xor.csv"), "--init", p.at("model.pt"), "--epochs", "1");
    expect(pickle.code).toBe(1);
    expect(pickle.stderr).toMatch(/model\.pt: a PyTorch pickle in the legacy format, which Neuron does not read .*save_file\(torch\.load\(.*--from pytorch/);
    const bad = await nnc("eval", p.at("xor.nn"), "--weights", p.at("w.safetensors"), "--data", p.at("xor.csv"), "--from", "tf");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--from must be neuron or pytorch, got 'tf'");
  });
});
