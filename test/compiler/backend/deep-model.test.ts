// Compiling a deep model costs in proportion to its depth: layers of one specialisation share
// their kernels, so a chain of 400 identical dense layers has the kernels of a chain of 20 and
// its module grows by a few calls and buffers per layer; and a module too large for prettier
// keeps the emitter's own layout instead of taking minutes. Sizes and counts, not times.

import { describe, expect, it } from "vitest";
import { checkText } from "../../../compiler/check/index.js";
import { emitModule, formatModule } from "../../../compiler/compile.js";
import { FORMAT_LIMIT } from "../../../compiler/emit/module.js";

function chain(layers: number): string {
  const stack = " |> dense(4)".repeat(layers);
  return `model Chain {\n  input x: [4]\n  target y: [4]\n  output p = x${stack}\n  loss mse(p, y)\n  optimizer sgd(lr: 0.01)\n}\n`;
}

function emitted(layers: number): string {
  const result = checkText(chain(layers), "chain.nn");
  expect(result.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  return emitModule(result.models[0]!);
}

const kernelNames = (source: string) => [...source.matchAll(/^function (k\d+_\w+)\(/gm)].map((m) => m[1]);

describe("a chain of 400 dense(4) layers", () => {
  const shallow = emitted(20);
  const deep = emitted(400);

  it("has the kernels of a chain of 20", () => {
    expect(kernelNames(deep).length).toBe(kernelNames(shallow).length);
    // One forward kernel; two backward (the first layer computes no input gradient); the loss.
    expect(kernelNames(deep).length).toBeLessThanOrEqual(4);
  });

  // Buffers are named after their layers (p_dense_123_weight, grad_p_dense_123), so a layer costs
  // a few hundred bytes more than with numbered fields; what matters is that the growth is linear.
  it("grows by under 3.5 KB of module per layer", () => {
    const perLayer = (deep.length - shallow.length) / 380;
    expect(perLayer).toBeLessThan(3500);
    // One kernel comment names a few layers and counts the rest, whatever the depth.
    expect(deep).toMatch(/\/\/ also called for p\.dense_1 \(line 4\), p\.dense_2 \(line 4\), p\.dense_3 \(line 4\) and 39\d more\n/);
  });
});

describe("formatModule", () => {
  it("leaves a module over the limit as emitted", async () => {
    const large = "const a = 1;;\n".repeat(Math.ceil(FORMAT_LIMIT / 14) + 1);
    expect(await formatModule(large)).toBe(large);
  });

  it("lays out a module under the limit with prettier", async () => {
    expect(await formatModule("const a = 1;;\n")).toBe("const a = 1;\n");
  });
});
