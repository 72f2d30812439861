// The tiny model the test suite writes for each library layer and activation, from the
// entry alone: its `example` (inputs and arguments) or one float [4, 6] input per tensor input.

import type { ArgValue, TensorType } from "../../../compiler/graph.js";
import { withDefaults } from "../../../compiler/library/index.js";
import { isLayerError, type LayerEntry, type LayerExample } from "../../../compiler/library/types.js";

/** `max_pool2d` -> `EntryMaxPool2d`. */
function modelName(entry: string): string {
  return `Entry${entry.split("_").map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join("")}`;
}

export function typeText(t: TensorType): string {
  const dims = `[${t.shape.join(", ")}]`;
  return t.kind === "int" ? `int(${t.vocab})${dims}` : dims;
}

function argText(v: ArgValue): string {
  if (Array.isArray(v)) return `[${v.join(", ")}]`;
  if (typeof v === "object") throw new Error("call-valued example arguments are not written here");
  return String(v);
}

/**
 * The model: each float input behind a dense layer (so that the entry's input gradient is
 * checked too), the entry, mse. An activation is applied to the input as well, where nothing
 * can fuse it, so that both its kernels are emitted. An entry whose draws must be `certain`
 * gets its input scaled far past [0, 1] (probabilities of exactly 0 and 1; it passes no
 * gradient back anyway) and a dense layer after it to train.
 */
export function entryModel(entry: LayerEntry): string {
  const example: LayerExample = entry.example ?? { inputs: entry.inputs.map((): TensorType => ({ shape: [4, 6], kind: "float" })) };
  const args = example.args ?? {};
  const result = entry.infer(example.inputs, withDefaults(entry.name, args));
  if (isLayerError(result)) throw new Error(`${entry.name}: its example does not fit: ${result.error}`);
  const out = result.type;
  const lines = example.inputs.map((t, i) => `  input x${i}: ${typeText(t)}`);
  const operand = (t: TensorType, i: number): string =>
    t.kind === "int" ? `x${i}` : example.certain ? `(x${i} * 1000000)` : `(x${i} |> dense(${t.shape.at(-1)}))`;
  const operands = example.inputs.map(operand);
  const applied = `${entry.name}(${[...operands, ...Object.entries(args).map(([k, v]) => `${k}: ${argText(v)}`)].join(", ")})`;
  const call = example.certain ? `(${applied} |> dense(${out.shape.at(-1)}))` : applied;
  if (example.inputs.length === 0) {
    // Nothing to feed it: add a batched input so that the model has a batch.
    lines.push(`  input z: ${typeText(out)}`);
    lines.push(`  output y = ${call} + (z |> dense(${out.shape.at(-1)}))`);
  } else {
    lines.push(`  output y = ${call}`);
  }
  if (entry.group === "activation") lines.push(`  output alone = ${entry.name}(x0)`);
  return [`model ${modelName(entry.name)} {`, ...lines, `  target t: ${typeText(out)}`, "  loss mse(y, t)", "  optimizer sgd(lr: 0.1)", "}"].join("\n");
}
