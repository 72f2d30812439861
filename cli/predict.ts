// `nnc predict FILE --weights W --data SPEC [--out OUT.jsonl]`: the model's outputs for every
// sample, one JSON object per line with a field per output, shaped as declared. With
// `--classes` or `--probabilities`, a classifier's output (a last axis of 2 or more classes)
// becomes an object saying what its values are: `{"class", "probability"}`, `{"probabilities"}`.

import { sampleSize } from "../runtime/data.js";
import { predict as runPrediction } from "../runtime/train.js";
import { writeFileAtomic } from "../runtime/node/files.js";
import type { Command } from "./command.js";
import { refuseOverlaps, requireWritableFile } from "./output-paths.js";
import { batchFlag, batchOption, createModel, dtypeOption, chooseSplit, dataOption, loadDataFor, loadForRun, modelFile, modelOptions, trainedModelOptions, reportingUserErrors, splitOption, weightsOption } from "./model-run.js";
import { requireMemory } from "../compiler/memory-need.js";
import { fromOption, fromValue, readWeightsFile } from "./weights-file.js";
import { UsageError } from "./args.js";
import { argmaxRows, copyRows, softmaxRows } from "./class-scores.js";
import type { ModelGraph } from "../compiler/graph.js";
import type { ModelInfo, TensorInfo } from "../runtime/model.js";

type Nested = number | Nested[];

/** One sample's values, nested as the tensor's shape. */
function nest(values: ArrayLike<number>, offset: number, shape: readonly number[], round: (v: number) => number): Nested {
  if (shape.length === 0) return round(values[offset]!);
  const [dim, ...rest] = shape;
  const stride = rest.reduce((a, b) => a * b, 1);
  return Array.from({ length: dim! }, (_, i) => nest(values, offset + i * stride, rest, round));
}

export const predict: Command = {
  name: "predict",
  summary: "run a trained model on data and print its outputs as JSON lines",
  usage: "nnc predict FILE.nn --data SPEC --weights W.safetensors [--out OUT.jsonl] [--split train|test]",
  details:
    "Each line is one sample: {\"<output>\": values shaped as the output} (the raw values: logits for a classifier). " +
    "--classes and --probabilities turn each output whose last axis holds 2 or more classes into " +
    "{\"class\": k, \"probability\": p, \"probabilities\": [...]} (the fields asked for; one per position for a sequence), " +
    "softmax taken over that axis unless the model already ends in softmax. Targets in the data are not needed.",
  options: [
    ...modelOptions,
    ...trainedModelOptions,
    fromOption,
    { name: "out", short: "o", kind: "string", valueName: "OUT.jsonl", doc: "write here instead of stdout" },
    { name: "classes", kind: "boolean", doc: "print each classifier output's most likely class and its probability" },
    { name: "probabilities", kind: "boolean", doc: "print each classifier output's probabilities (softmax over its last axis)" },
  ],
  async run(args, io) {
    const file = modelFile(args, "predict");
    const spec = dataOption(args, "predict");
    const weightsPath = weightsOption(args, "predict");
    const split = splitOption(args);
    batchFlag(args);
    const out = args.string("out");
    if (out !== undefined) {
      const inputs = [{ role: "the model", path: file }, { role: "--data", path: spec }, { role: "--weights", path: weightsPath }];
      refuseOverlaps(inputs, [{ role: "--out", path: out }]);
    }
    const origin = fromValue(args);
    return reportingUserErrors(io, async () => {
      if (out !== undefined) requireWritableFile(out, "predictions.jsonl");
      const { graph, module } = await loadForRun(file, args, io);
      const info = module.info;
      const checkpoint = readWeightsFile(weightsPath, graph, info, origin);
      const data = chooseSplit(await loadDataFor(spec, info, false), split, spec);
      const batch = batchOption(args, info, data.size);
      requireMemory(graph, { dtype: dtypeOption(args), maxBatch: batch, training: false });
      const model = createModel(module, { maxBatch: batch, weights: checkpoint.weights }, args);
      const outputs = runPrediction(model, data, batch);
      // float32 values print with the 9 significant digits that identify them, not float64's 17.
      const round = info.dtype === "float32" ? (v: number) => Number(v.toPrecision(9)) : (v: number) => v;
      const sizes = info.outputs.map(sampleSize);
      const scoring = { classes: args.flag("classes"), probabilities: args.flag("probabilities") };
      const scored = scoring.classes || scoring.probabilities ? classifierOutputs(info, graph, file) : new Map<string, boolean>();
      const lines: string[] = [];
      for (let i = 0; i < data.size; i++) {
        const sample = Object.fromEntries(
          info.outputs.map((t, k) => {
            const alreadySoftmax = scored.get(t.name);
            const value = alreadySoftmax === undefined ? nest(outputs[t.name]!, i * sizes[k]!, t.shape, round) : scores(outputs[t.name]!, i * sizes[k]!, t, alreadySoftmax, scoring, round);
            return [t.name, value];
          }),
        );
        lines.push(JSON.stringify(sample));
      }
      const text = lines.join("\n") + "\n";
      if (out === undefined) io.stdout.write(text);
      else writeFileAtomic(out, text);
      return 0;
    });
  },
};

/**
 * The outputs `--classes`/`--probabilities` apply to (a last axis of 2 or more classes), each
 * with whether the model already ends it in softmax; none is a usage error naming the shapes.
 */
function classifierOutputs(info: ModelInfo, graph: ModelGraph, file: string): Map<string, boolean> {
  const chosen = new Map<string, boolean>();
  for (const t of info.outputs) {
    if ((t.shape.at(-1) ?? 1) < 2) continue;
    const node = graph.outputs.find((o) => o.name === t.name)?.node;
    chosen.set(t.name, node !== undefined && graph.nodes[node]?.op === "softmax");
  }
  if (chosen.size === 0) {
    const shapes = info.outputs.map((t) => `'${t.name}' [${t.shape.join(", ")}]`).join(", ");
    throw new UsageError(`${file}: --classes and --probabilities need an output whose last axis holds 2 or more classes; model ${info.name} has ${shapes}`);
  }
  return chosen;
}

/** One sample of a classifier output: per position of its leading axes, the fields asked for. */
function scores(
  values: ArrayLike<number>,
  offset: number,
  tensor: TensorInfo,
  alreadySoftmax: boolean,
  asked: { classes: boolean; probabilities: boolean },
  round: (v: number) => number,
): Nested | Record<string, unknown> | Record<string, unknown>[] {
  const classes = tensor.shape.at(-1)!;
  const count = sampleSize(tensor);
  const probabilities = alreadySoftmax ? copyRows(values, offset, count) : softmaxRows(values, offset, count, classes);
  const choices = argmaxRows(probabilities, classes);
  const rows = choices.map((choice, row) => ({
    ...(asked.classes ? { class: choice.class, probability: round(choice.probability) } : {}),
    ...(asked.probabilities ? { probabilities: Array.from(probabilities.subarray(row * classes, (row + 1) * classes), round) } : {}),
  }));
  if (tensor.shape.length === 1) return rows[0]!;
  // A sequence of classes ([T, V]): the rows nested as the leading axes.
  const lead = tensor.shape.slice(0, -1);
  const nestRows = (at: number, shape: readonly number[]): unknown => {
    if (shape.length === 0) return rows[at];
    const [dim, ...rest] = shape;
    const stride = rest.reduce((a, b) => a * b, 1);
    return Array.from({ length: dim! }, (_, i) => nestRows(at + i * stride, rest));
  };
  return nestRows(0, lead) as Record<string, unknown>[];
}
