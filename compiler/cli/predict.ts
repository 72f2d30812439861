// `nnc predict FILE --weights W --data SPEC [--out OUT.jsonl]`: the model's outputs for every
// sample, one JSON object per line with a field per output, shaped as declared.

import { sampleSize } from "../../runtime/data.js";
import { predict as runPrediction } from "../../runtime/train.js";
import { writeFileAtomic } from "../../runtime/node/files.js";
import type { Command } from "./command.js";
import { refuseOverlaps, requireWritableFile } from "./output-paths.js";
import { batchFlag, batchOption, createModel, dtypeOption, chooseSplit, dataOption, loadDataFor, loadForRun, modelFile, modelOptions, trainedModelOptions, reportingUserErrors, splitOption, weightsOption } from "./model-run.js";
import { requireMemory } from "../memory-need.js";
import { fromOption, fromValue, readWeightsFile } from "./weights-file.js";

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
  details: "Each line is one sample: {\"<output>\": values shaped as the output}. Targets in the data are not needed.",
  options: [
    ...modelOptions,
    ...trainedModelOptions,
    fromOption,
    { name: "out", short: "o", kind: "string", valueName: "OUT.jsonl", doc: "write here instead of stdout" },
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
      const { graph, module } = await loadForRun(file, args);
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
      const lines: string[] = [];
      for (let i = 0; i < data.size; i++) {
        const sample = Object.fromEntries(info.outputs.map((t, k) => [t.name, nest(outputs[t.name]!, i * sizes[k]!, t.shape, round)]));
        lines.push(JSON.stringify(sample));
      }
      const text = lines.join("\n") + "\n";
      if (out === undefined) io.stdout.write(text);
      else writeFileAtomic(out, text);
      return 0;
    });
  },
};
