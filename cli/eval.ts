// `nnc eval FILE --weights W --data SPEC`: loss and accuracy of trained weights on data
// (the held-out part where the data has one).

import { evaluate } from "../runtime/train.js";
import type { Command } from "./command.js";
import { batchFlag, batchOption, createModel, dtypeOption, chooseSplit, dataOption, loadDataFor, loadForRun, modelFile, modelOptions, trainedModelOptions, reportingUserErrors, splitOption, weightsOption } from "./model-run.js";
import { requireMemory } from "../compiler/memory-need.js";
import { reportOption, writeReport } from "./report-file.js";
import { refuseOverlaps, requireWritableFile } from "./output-paths.js";
import { fromOption, fromValue, readWeightsFile } from "./weights-file.js";

export const evalCommand: Command = {
  name: "eval",
  summary: "evaluate trained weights: loss and accuracy",
  usage: "nnc eval FILE.nn --data SPEC --weights W.safetensors [--split train|test] [--json] [--report OUT.html]",
  details:
    "The weights come from `nnc train --save` (or any safetensors file with this model's tensors). Accuracy is reported for models whose loss has an integer target " +
    "(argmax against the class, per position for sequences) or is binary_cross_entropy (prediction > 0.5 against the target).",
  options: [
    ...modelOptions,
    ...trainedModelOptions,
    fromOption,
    { name: "json", kind: "boolean", doc: "print the result as JSON" },
    reportOption,
  ],
  async run(args, io) {
    const file = modelFile(args, "eval");
    const spec = dataOption(args, "eval");
    const weightsPath = weightsOption(args, "eval");
    const split = splitOption(args);
    batchFlag(args);
    const reportPath = args.string("report");
    if (reportPath !== undefined) {
      refuseOverlaps(
        [
          { role: "the model", path: file },
          { role: "--data", path: spec },
          { role: "--weights", path: weightsPath },
        ],
        [{ role: "--report", path: reportPath }],
      );
    }
    const origin = fromValue(args);
    return reportingUserErrors(io, async () => {
      if (reportPath !== undefined) requireWritableFile(reportPath, "report.html");
      const { graph, module } = await loadForRun(file, args, io);
      const info = module.info;
      if (info.losses.length === 0) {
        io.stderr.write(`${file}: model ${info.name} declares no loss to evaluate\n`);
        return 1;
      }
      const checkpoint = readWeightsFile(weightsPath, graph, info, origin);
      const data = chooseSplit(await loadDataFor(spec, info, true), split, spec);
      const batch = batchOption(args, info, data.size);
      requireMemory(graph, { dtype: dtypeOption(args), maxBatch: batch, training: false });
      const model = createModel(module, { maxBatch: batch, weights: checkpoint.weights }, args);
      const result = evaluate(model, data, batch);
      if (reportPath !== undefined) {
        const splitName = split ?? "the held-out part where there is one, else all";
        const facts: [string, string][] = [["model file", file], ["data", spec], ["split", splitName], ["weights", weightsPath]];
        writeReport(reportPath, { kind: "evaluation", graph, model, facts, evaluation: { ...result, split: `${spec}, ${splitName}` }, data: { data, split: `${spec}, ${splitName}` } });
      }
      if (args.flag("json")) io.stdout.write(`${JSON.stringify(result)}\n`);
      else {
        const accuracy = result.accuracy !== null ? `  accuracy ${(100 * result.accuracy).toFixed(2)}%` : "";
        io.stdout.write(`loss ${result.loss.toFixed(4)}${accuracy}  (${result.samples.toLocaleString("en-US")} samples)\n`);
      }
      return 0;
    });
  },
};
