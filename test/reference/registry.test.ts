// The reference twins name the library's entries by string; these names are held to the
// registry so that a renamed or removed entry cannot leave a twin testing something else.
// Coverage is the other half: every library entry must run in the float64 reference
// (test/compiler/backend/every-entry.test.ts compares every entry's forward pass with it).
import { expect, it } from "vitest";
import { layerEntries, lossEntries } from "../../compiler/library/index.js";
import { lowerings } from "../../compiler/ir/ops/index.js";
import { tfjsLosses } from "../../reference/tfjs-losses.js";
import { tfjsOps } from "../../reference/tfjs-ops.js";

/** What the TensorFlow.js twin may name: library entries and the operators `+ - *` and scaling by a number. */
const known = new Set([...layerEntries.keys(), ...lowerings.keys()]);

it("the tfjs twin names only library entries and operators the back end lowers", () => {
  expect(Object.keys(tfjsOps).filter((name) => !known.has(name))).toEqual([]);
});

it("the tfjs twin has exactly the library's losses", () => {
  expect(Object.keys(tfjsLosses).sort()).toEqual([...lossEntries.keys()].sort());
});

it("every op the back end lowers that is not a library entry is an operator the twins know", () => {
  const operators = [...lowerings.keys()].filter((name) => !layerEntries.has(name));
  expect(operators.sort()).toEqual(["add", "mul", "scale", "sub"]);
  for (const name of operators) expect(Object.keys(tfjsOps), name).toContain(name);
});
