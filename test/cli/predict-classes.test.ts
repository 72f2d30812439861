// `nnc predict --classes` and `--probabilities`: a classifier's logits as the most likely class
// with its probability, and as probabilities, each field named in the JSON line.
import { writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { nnc, exampleProject, xorProject } from "./run-nnc.js";

const classifier = (output: string) =>
  `model C {\n  input  x: [2]\n  target y: int(3)\n\n  output ${output}\n\n  loss softmax_cross_entropy(logits, y)\n  optimizer sgd(lr: 0.1)\n}\n`;

async function project(output: string) {
  const p = exampleProject();
  writeFileSync(p.at("c.nn"), classifier(output));
  writeFileSync(p.at("c.csv"), "x.0,x.1,y\n0,1,0\n2,-1,1\n-3,0.5,2\n");
  const saved = await nnc("train", p.at("c.nn"), "--data", p.at("c.csv"), "--steps", "0", "--save", p.at("w.safetensors"), "--seed", "3");
  expect(saved.code).toBe(0);
  const predict = async (...flags: string[]) => {
    const r = await nnc("predict", p.at("c.nn"), "--data", p.at("c.csv"), "--weights", p.at("w.safetensors"), ...flags);
    expect(r.stderr).toBe("");
    return r.stdout.trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
  };
  return { p, predict };
}

describe("nnc predict --classes --probabilities", () => {
  it("turns logits into the softmax and its most likely class, named in each line", async () => {
    const { predict } = await project("logits = x |> dense(3)");
    const raw = (await predict()).map((line) => line["logits"] as number[]);
    const scored = await predict("--classes", "--probabilities");
    expect(scored).toHaveLength(3);
    scored.forEach((line, i) => {
      const logits = raw[i]!;
      const exp = logits.map((v) => Math.exp(v - Math.max(...logits)));
      const softmax = exp.map((v) => v / exp.reduce((a, b) => a + b));
      const best = softmax.indexOf(Math.max(...softmax));
      const value = line["logits"] as { class: number; probability: number; probabilities: number[] };
      expect(Object.keys(value)).toEqual(["class", "probability", "probabilities"]);
      expect(value.class).toBe(best);
      expect(value.probability).toBeCloseTo(softmax[best]!, 6);
      value.probabilities.forEach((v, k) => expect(v).toBeCloseTo(softmax[k]!, 6));
    });
    expect(Object.keys((await predict("--classes"))[0]!["logits"] as object)).toEqual(["class", "probability"]);
  });

  it("does not softmax an output the model already ends in softmax", async () => {
    const { predict } = await project("logits = x |> dense(3) |> softmax");
    const raw = (await predict()).map((line) => line["logits"] as number[]);
    const scored = (await predict("--probabilities")).map((line) => (line["logits"] as { probabilities: number[] }).probabilities);
    scored.forEach((row, i) => row.forEach((v, k) => expect(v).toBeCloseTo(raw[i]![k]!, 6)));
  });

  it("is a usage error for a model without a class axis", async () => {
    const p = xorProject();
    await nnc("train", p.model, "--data", p.data, "--steps", "0", "--save", p.at("w.safetensors"));
    const r = await nnc("predict", p.model, "--data", p.data, "--weights", p.at("w.safetensors"), "--classes");
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`nnc: ${p.model}: --classes and --probabilities need an output whose last axis holds 2 or more classes; model Xor has 'p' [1]\n`);
  });
});
