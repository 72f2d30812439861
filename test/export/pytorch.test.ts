
import { beforeAll, describe, expect, it } from "vitest";
import { exportCases } from "./cases.js";
import { compareWithPytorch, type Comparison } from "./torch-compare.js";

const TOLERANCE = 1e-5;



describe("nnc export --format pytorch matches Neuron", () => {
  const cases = exportCases();
  let results: Comparison[] | undefined;
  beforeAll(async () => {
    results = await compareWithPytorch(cases.map(([, g]) => g));
  }, 300_000);
  cases.forEach(([label], i) => {
    it(label, () => {
      const c = results![i]!;
      console.log(`${label}: outputs ${c.outputs.toExponential(2)} loss ${c.loss.toExponential(2)} gradients ${c.gradients.toExponential(2)}`);
      expect(c.outputs, c.where).toBeLessThan(TOLERANCE);
      expect(c.loss, c.where).toBeLessThan(TOLERANCE);
      expect(c.gradients, c.where).toBeLessThan(TOLERANCE);
    });
  });
});
