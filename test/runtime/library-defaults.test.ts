// The optimizer defaults and the default batch size are stated in the language's library (what `nnc check` fills in and
// docs/language.md lists) and in the runtime (what a hand-built OptimizerInfo falls back on).
// The runtime cannot import the compiler, so this test holds the two statements together.
import { expect, it } from "vitest";
import { DEFAULT_BATCH, optimizerEntries } from "../../compiler/library/index.js";
import { optimizerDefaults, optimizerNames } from "../../runtime/optim.js";
import { DEFAULT_BATCH_SIZE } from "../../runtime/train.js";

/** Library arguments that are not update-rule hyperparameters (the schedule drives `lr` over time). */
const NOT_RUNTIME_ARGS = new Set(["schedule"]);

it("the runtime knows exactly the library's optimizers", () => {
  expect([...optimizerNames].sort()).toEqual([...optimizerEntries.keys()].sort());
});

for (const entry of optimizerEntries.values()) {
  it(`${entry.name}: the runtime's defaults are the library's`, () => {
    const runtime = optimizerDefaults(entry.name);
    expect(runtime).toBeDefined();
    for (const decl of entry.args) {
      if (NOT_RUNTIME_ARGS.has(decl.name)) continue;
      expect(Object.keys(runtime!), `${entry.name}: the runtime has no '${decl.name}'`).toContain(decl.name);
      expect(runtime![decl.name], `${entry.name}.${decl.name}`).toBe(decl.default);
    }
  });
}

it("the runtime's default batch size is the library's", () => {
  expect(DEFAULT_BATCH_SIZE).toBe(DEFAULT_BATCH);
});
