// `nnc export FILE --format pytorch|onnx -o OUT`: the model for the engines that scale past
// one CPU. pytorch writes OUT (a module, e.g. model.py) and train.py beside it; onnx writes
// the inference graph with the weights of --weights (or the initial weights of --seed).

import { basename, dirname, extname, join } from "node:path";
import { writeFileAtomic } from "../runtime/node/files.js";
import { exportOnnx } from "../compiler/export/onnx.js";
import { exportPytorch } from "../compiler/export/pytorch.js";
import { UsageError } from "./args.js";
import type { Command } from "./command.js";
import { loadForRun, modelFile, reportingUserErrors } from "./model-run.js";
import { fromOption, fromValue, readWeightsFile } from "./weights-file.js";
import { checkedModel } from "../compiler/model-source.js";
import { readSourceFile } from "./files.js";
import { refuseOverlaps, requireWritableFile, type RolePath } from "./output-paths.js";

const PRODUCER_VERSION = "0.1.0";

/** The files an export writes: OUT, and for pytorch train.py beside it. */
function exportOutputs(format: "pytorch" | "onnx", out: string): RolePath[] {
  return format === "pytorch"
    ? [
        { role: "-o", path: out },
        { role: "train.py", path: join(dirname(out), "train.py") },
      ]
    : [{ role: "-o", path: out }];
}

export const exportCommand: Command = {
  name: "export",
  summary: "export a model to PyTorch (a module and a DDP train.py) or ONNX",
  usage: "nnc export FILE.nn --format pytorch|onnx -o OUT [--model NAME] [--weights W.safetensors [--from pytorch]]",
  details:
    "pytorch: OUT is a standalone nn.Module in Neuron's layout (a Neuron checkpoint loads as it is), with the loss and optimizer of the file; " +
    "train.py is written beside it (run it with torchrun --nproc_per_node N). onnx: the inference graph, opset 17, the weights of --weights " +
    "(default: the initial weights of --seed) as initializers. See docs/interop.md.",
  options: [
    { name: "format", kind: "string", valueName: "pytorch|onnx", doc: "what to write" },
    { name: "out", short: "o", kind: "string", valueName: "OUT", doc: "model.py for pytorch (train.py goes beside it), model.onnx for onnx" },
    { name: "model", kind: "string", valueName: "NAME", doc: "the model to export, when the file defines several" },
    { name: "weights", short: "w", kind: "string", valueName: "W.safetensors", doc: "onnx: the weights to embed" },
    fromOption,
    { name: "seed", kind: "string", valueName: "N", doc: "onnx without --weights: seed of the initial weights (default the file's train { seed }, else 0)" },
  ],
  async run(args, io) {
    const file = modelFile(args, "export");
    const format = args.string("format");
    if (format !== "pytorch" && format !== "onnx") throw new UsageError(`nnc export needs --format pytorch or --format onnx${format === undefined ? "" : `, got '${format}'`}`);
    const out = args.string("out");
    if (out === undefined) throw new UsageError(`nnc export needs -o OUT (e.g. -o ${format === "onnx" ? "model.onnx" : "model.py"})`);
    const weightsPath = args.string("weights");
    const origin = fromValue(args);
    const seedOption = args.integer("seed", 0);
    if (format === "pytorch" && (weightsPath !== undefined || seedOption !== undefined)) {
      throw new UsageError("--weights and --seed are for --format onnx; a PyTorch module loads weights at run time (model.load_state_dict(load_weights(W)))");
    }
    if (origin !== undefined && weightsPath === undefined) throw new UsageError("--from says whose layout the --weights hold: give --weights W.safetensors");
    if (format === "pytorch") {
      const stem = basename(out, extname(out));
      if (extname(out) !== ".py" || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(stem)) {
        throw new UsageError(`-o ${out}: name a Python module file, e.g. model.py (train.py imports it by name)`);
      }
      if (stem === "train") throw new UsageError(`-o ${out}: train.py is the training script written beside the module; name the module otherwise, e.g. model.py`);
    }
    const outputs = exportOutputs(format, out);
    const inputs: RolePath[] = [{ role: "the model", path: file }, ...(weightsPath !== undefined ? [{ role: "--weights", path: weightsPath }] : [])];
    refuseOverlaps(inputs, outputs);
    const text = await readSourceFile(file);
    return reportingUserErrors(io, async () => {
      for (const o of outputs) requireWritableFile(o.path, format === "onnx" ? "model.onnx" : "model.py");
      if (format === "pytorch") {
        const graph = checkedModel(text, file, args.string("model"));
        const stem = basename(out, extname(out));
        const exported = exportPytorch(graph, file, stem);
        const trainPath = join(dirname(out), "train.py");
        writeFileAtomic(out, exported.model);
        writeFileAtomic(trainPath, exported.train);
        io.stdout.write(`wrote ${out} and ${trainPath}\n`);
        return 0;
      }
      const { graph, module } = await loadForRun(file, args, io);
      const info = module.info;
      const weights =
        weightsPath !== undefined
          ? readWeightsFile(weightsPath, graph, info, origin).weights
          : module.create({ seed: seedOption ?? info.train.seed ?? 0, maxBatch: 1 }).getWeights();
      const bytes = exportOnnx(graph, weights, file, PRODUCER_VERSION);
      writeFileAtomic(out, bytes);
      io.stdout.write(`wrote ${out} (${graph.name}, ${weightsPath !== undefined ? `weights of ${weightsPath}` : "initial weights"})\n`);
      return 0;
    });
  },
};
