// The checker keeps up with large files. bench/check.js measures the real figure (goal:
// under 300 ms for 5,000 lines on an idle core); this bound is loose so that a test run on
// a busy machine does not fail, yet it catches anything quadratic.
import { expect, it } from "vitest";
import { checkText } from "../../../compiler/check/index.js";

function generate(lines: number): string {
  const out = ["const WIDTH = 32", "block FeedForward(hidden: int) {", "  input x: [T, D]", "  output y = x |> dense(hidden) |> gelu |> dense(D)", "}"];
  for (let m = 0; out.length < lines; m++) {
    out.push(`model Generated${m} {`, "  input tokens: int(10)[8]", "  target reversed: int(10)[8]", "  x = embedding(tokens, WIDTH) + positional(8, WIDTH)");
    for (let i = 0; i < 40; i++)
      out.push(i % 2 === 0 ? "  x = x + (x |> layer_norm |> self_attention(heads: 4))" : "  x = x + (x |> layer_norm |> FeedForward(4 * WIDTH))");
    out.push("  output logits = x |> dense(10)", "  loss softmax_cross_entropy(logits, reversed)", "  optimizer adam", "}");
  }
  return out.join("\n");
}

it("checks a 5,000-line file in well under a few seconds, and time grows linearly", () => {
  const small = generate(1000);
  const large = generate(5000);
  checkText(small);
  const t0 = performance.now();
  const result = checkText(large);
  const largeTime = performance.now() - t0;
  expect(result.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  expect(result.models.length).toBeGreaterThan(100);
  const t1 = performance.now();
  checkText(small);
  const smallTime = performance.now() - t1;
  expect(largeTime).toBeLessThan(5000);
  expect(largeTime / Math.max(smallTime, 1)).toBeLessThan(15);
});
