// What a reader of an emitted module sees: fields named after layers, the runtime's checks
// imported rather than pasted, and no multiplications by 1 written by the emitter.

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { checkText, emitModule } from "../../../compiler/index.js";

function xorModule(): string {
  const checked = checkText(readFileSync(new URL("../../../examples/xor.nn", import.meta.url), "utf8"));
  return emitModule(checked.models[0]!);
}

describe("the emitted xor module", () => {
  const source = xorModule();
  const classText = source.slice(source.indexOf("export class"));

  it("names each buffer after its layer", () => {
    for (const field of ["input_x", "target_y", "hidden_dense_weight", "grad_hidden_dense_weight", "hidden_dense_tanh_out", "grad_p_dense_sigmoid_out", "p_dense_bias_gradient_sums"]) {
      expect(classText).toContain(`this.${field}`);
    }
    expect(classText).not.toMatch(/\bthis\.(act|grad_act|param|grad|input|target|scratch)\d/);
  });

  it("imports the runtime's argument, batch, weight and non-finite checks instead of pasting them", () => {
    expect(source).toMatch(/^import \{[^}]*\bfloatArg\b[^}]*\bcheckParameterValues\b[^}]*\bfirstNonFinite\b[^}]*\} from "neuron\/runtime";$/m);
    expect(source).not.toMatch(/function (floatArg|intArg)\(/);
    expect(classText).not.toContain("Number.isFinite");
    expect(source).not.toContain("import { floatArg, intArg");
    expect(source).not.toMatch(/\bintArg\b/); // xor binds no integer tensor: nothing unused is imported
  });

  it("writes no multiplication by 1 in the class", () => {
    expect(classText).not.toMatch(/\* 1\b(?!\.)/);
  });
});
