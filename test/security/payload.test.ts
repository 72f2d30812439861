// The payloads of issue 10, exactly: a comment inside a layer call (or a loss line) holding
// U+2028 used to end the `//` comment the emitter copied it into, so that importing the
// module, `nnc train`, `eval` and `predict` ran the code after it; a lone CR in a call gave
// `internal error: Unexpected token ')'` on `nnc train`.

import { readFileSync, writeFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { checkText } from "../../compiler/check/index.js";
import { emitModule } from "../../compiler/compile.js";
import type { ModelGraph } from "../../compiler/graph.js";
import { loadModelFromGraph } from "../../compiler/load.js";
import { nnc, xorProject } from "../cli/run-nnc.js";
import { CANARY } from "./hostile-models.js";

const XOR = readFileSync(xorProject().model, "utf8");

/** The payload, setting a global instead of doing harm. */
const CALL_PAYLOAD = `dense(1 /* units\u2028eval("globalThis.${CANARY} = 'dense'");//*/)`;
const LOSS_PAYLOAD = `loss binary_cross_entropy(p /* x\u2029eval("globalThis.${CANARY} = 'loss'");//*/, y)`;

const withPayloadInCall = XOR.replace("dense(1)", CALL_PAYLOAD);
const withPayloadInLoss = XOR.replace("loss binary_cross_entropy(p, y)", LOSS_PAYLOAD);

function graphOf(text: string): ModelGraph {
  const result = checkText(text, "payload.nn");
  expect(result.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  return result.models[0]!;
}

afterEach(() => {
  delete (globalThis as Record<string, unknown>)[CANARY];
});

describe("the payloads of issue 10", () => {
  it.each([
    ["a layer call", withPayloadInCall],
    ["a loss line", withPayloadInLoss],
  ])("in a comment in %s stay in a comment of the module, which runs without them", async (_, text) => {
    expect(text).not.toBe(XOR);
    const graph = graphOf(text);
    for (const language of ["typescript", "javascript"] as const) {
      const source = emitModule(graph, { language });
      expect(source).not.toMatch(/[\u2028\u2029]/);
      // Every line that mentions the payload is a comment.
      for (const line of source.split("\n").filter((l) => l.includes(CANARY))) expect(line.trim()).toMatch(/^\/\//);
    }
    const { module } = await loadModelFromGraph(graph);
    const model = module.create({ maxBatch: 4 });
    model.trainStep({ size: 4, inputs: { x: Float32Array.of(0, 0, 0, 1, 1, 0, 1, 1) }, targets: { y: Float32Array.of(0, 1, 1, 0) } });
    model.predict({ x: Float32Array.of(0, 1) }, 1);
    expect(CANARY in globalThis).toBe(false);
  });

  it("do not run under nnc train, eval or predict", async () => {
    const project = xorProject();
    for (const [name, text] of [["call.nn", withPayloadInCall], ["loss.nn", withPayloadInLoss]] as const) {
      const file = project.at(name);
      const weights = project.at(`${name}.safetensors`);
      writeFileSync(file, text);
      const trained = await nnc("train", file, "--data", project.data, "--steps", "1", "--save", weights, "--quiet");
      expect(trained.stderr).toBe("");
      expect(trained.code).toBe(0);
      expect((await nnc("eval", file, "--data", project.data, "--weights", weights)).code).toBe(0);
      expect((await nnc("predict", file, "--data", project.data, "--weights", weights)).code).toBe(0);
    }
    expect(CANARY in globalThis).toBe(false);
  });

  it("a call over lines ended by lone CRs, in a file of mixed line ends, trains", async () => {
    const project = xorProject();
    const mixed = XOR.replace("dense(4, init: xavier_uniform)", "dense(4,\r    init: xavier_uniform\r  )").replace("\n  loss", "\r\n  loss");
    writeFileSync(project.model, mixed);
    const trained = await nnc("train", project.model, "--data", project.data, "--steps", "1", "--quiet");
    expect(trained.stderr).toBe("");
    expect(trained.code).toBe(0);
  });
});
