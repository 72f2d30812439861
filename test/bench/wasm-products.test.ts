// The bench's table of WebAssembly products: it must time the kernels `nnc train` runs, and
// count exactly the products a training step does (bench/flops.ts counts them independently,
// from the graph rather than the IR).
import path from "node:path";
import { describe, expect, it } from "vitest";
import { trainingMultiplyAddsPerSample } from "../../bench/flops.js";
import { loadGraph } from "../../bench/graph.js";
import { measureProducts, measureWasmProducts, renderProducts } from "../../bench/wasm-products.js";

const example = (name: string) => loadGraph(path.resolve("examples", `${name}.nn`));

describe("the wasm products of a model", () => {
  for (const name of ["mnist_mlp", "mnist_cnn"]) {
    it(`${name}: every dense and conv2d kernel, forward and backward, with the step's multiply-adds`, () => {
      const graph = example(name);
      const rates = measureWasmProducts(graph, 5, 0.01);
      const layers = graph.nodes.filter((n) => n.op === "dense" || n.op === "conv2d").length;
      expect(rates.filter((r) => r.pass === "forward")).toHaveLength(layers);
      expect(rates.filter((r) => r.pass === "backward")).toHaveLength(layers);
      const multiplyAdds = rates.reduce((sum, r) => sum + r.multiplyAdds, 0);
      expect(multiplyAdds).toBe(5 * trainingMultiplyAddsPerSample(graph));
      for (const r of rates) expect(r.gflops).toBeGreaterThan(0);
    });
  }

  it("renders each model's rate against the ceiling of the same run", () => {
    const summary = measureProducts([{ example: "mnist_mlp", graph: example("mnist_mlp"), batches: [3] }], true);
    expect(summary.ceiling.gflops).toBeGreaterThan(0);
    const text = renderProducts(summary);
    expect(text).toMatch(/\| mnist_mlp \| 3 \| [\d.]+ \| \d+% \| (hidden|logits)\.dense_0/);
    expect(text).toContain(`${summary.ceiling.gflops.toFixed(1)} GFLOP/s`);
  });
});
