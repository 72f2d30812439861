// `nnc train --save-best --monitor --patience`: the best epoch's weights kept, early stopping, and
// a run that ends on a worse epoch saying where the best one is.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { nnc, xorProject } from "./run-nnc.js";

describe("nnc train --save-best", () => {
  it("keeps the best epoch by val_loss, stops after --patience epochs without one, and says where it is", async () => {
    const p = xorProject();
    // XOR's labels flipped: the better the model learns XOR, the worse its held-out loss.
    writeFileSync(p.at("flipped.csv"), "x.0,x.1,y\n0,0,1\n0,1,0\n1,0,0\n1,1,1\n");
    const r = await nnc("train", p.model, "--data", p.data, "--val", p.at("flipped.csv"), "--epochs", "200", "--patience", "4",
      "--save-best", p.at("best.safetensors"), "--save", p.at("last.safetensors"), "--metrics", p.at("m.jsonl"), "--log-every", "1000");
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const epochs = readFileSync(p.at("m.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as { epoch: number; val_loss: number });
    const losses = epochs.map((m) => m.val_loss);
    const best = losses.indexOf(Math.min(...losses)) + 1;
    expect(epochs.at(-1)!.epoch).toBe(best + 4);
    expect(r.stdout).toContain(`stopped early: val_loss has not improved for 4 epochs since epoch ${best}\n`);
    expect(r.stdout).toContain(`the last epoch (${best + 4}) is not the best: the best, val_loss ${Math.min(...losses).toFixed(4)} at epoch ${best}, is saved in ${p.at("best.safetensors")}\n`);
    // The best file holds that epoch's weights: evaluated on the held-out data, its loss is the one recorded.
    const evaluated = await nnc("eval", p.model, "--data", p.at("flipped.csv"), "--weights", p.at("best.safetensors"), "--json");
    expect((JSON.parse(evaluated.stdout) as { loss: number }).loss).toBeCloseTo(Math.min(...losses), 5);
    expect(existsSync(p.at("last.safetensors"))).toBe(true);
  });

  it("checks its flags and its path before training", async () => {
    const p = xorProject();
    expect((await nnc("train", p.model, "--data", p.data, "--monitor", "loss", "--patience", "2")).stderr).toBe("nnc: --monitor must be val_loss or val_acc, got 'loss'\n");
    expect((await nnc("train", p.model, "--data", p.data, "--monitor", "val_acc")).stderr).toMatch(/^nnc: --monitor chooses the best epoch for --save-best/);
    const overwrite = await nnc("train", p.model, "--data", p.data, "--save-best", p.data);
    expect(overwrite.code).toBe(2);
    expect(overwrite.stderr).toBe(`nnc: --save-best ${p.data} is the same file as --data ${p.data}: writing it would destroy the input; choose another path for --save-best\n`);
    const noHeldOut = await nnc("train", p.model, "--data", p.data, "--save-best", p.at("b.safetensors"), "--epochs", "2");
    expect(noHeldOut.code).toBe(1);
    expect(noHeldOut.stderr).toContain("give validation data (--val SPEC)");
  });
});
