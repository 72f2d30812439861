// Is mnist_cnn's held-out accuracy Neuron's or the model's? Trains examples/mnist_cnn.nn with
// `nnc train` and its PyTorch twin (mnist_cnn.py) on the same 8,000 / 2,000 split for several
// seeds each, and prints both distributions. `--example spiking_mnist` does the same for
// examples/spiking_mnist.nn and spiking_mnist.py. Seeds are not comparable one to one (the two draw
// different initial weights, batches and dropout masks); the means and spreads are.
//
// Needs `npm run build` and a python3 with PyTorch (Debian: `apt-get install python3-torch`).
//   node bench/pytorch/compare-mnist-cnn.js [--example mnist_cnn|spiking_mnist] [--seeds 0-9] [--python /usr/bin/python3]
// About 10 minutes for ten seeds each on two cores (both systems run one thread).
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadMnist } from "../../dist/runtime/node/mnist.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

function option(name, fallback) {
  const at = process.argv.indexOf(name);
  return at < 0 ? fallback : process.argv[at + 1];
}

function seedList(spec) {
  const range = /^(\d+)-(\d+)$/.exec(spec);
  if (range === null) return spec.split(",").map(Number);
  return Array.from({ length: Number(range[2]) - Number(range[1]) + 1 }, (_, i) => Number(range[1]) + i);
}

/** Per example: its input shape and the accuracy its README holds it to. */
const examples = {
  mnist_cnn: { shape: [28, 28, 1], target: 97 },
  spiking_mnist: { shape: [784], target: 93 },
};
const example = option("--example", "mnist_cnn");
if (!(example in examples)) throw new Error(`--example must be one of ${Object.keys(examples).join(", ")}`);
const { shape, target } = examples[example];

/** The split `--data mnist` trains and validates on, as raw little-endian arrays. */
function writeSplit(directory) {
  const info = {
    name: "Mnist",
    dtype: "float32",
    inputs: [{ name: "image", kind: "float", shape }],
    targets: [{ name: "digit", kind: "int", vocab: 10, shape: [] }],
  };
  const { train, test } = loadMnist(info);
  for (const [part, set] of [["train", train], ["test", test]]) {
    writeFileSync(join(directory, `${part}_x.f32`), set.inputs.image);
    writeFileSync(join(directory, `${part}_y.i32`), set.targets.digit);
  }
}

function run(command, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: root, stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (chunk) => (out += chunk));
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve(out) : reject(new Error(`${command} ${args.join(" ")}: exit ${code}`))));
  });
}

async function neuron(seed) {
  const out = await run(process.execPath, [join(root, "bin", "nnc.js"), "train", `examples/${example}.nn`, "--data", "mnist", "--seed", String(seed), "--json"]);
  const epochs = out.trim().split("\n").map((line) => JSON.parse(line));
  return { seed, epochs };
}

async function pytorch(python, directory, seeds) {
  const out = await run(python, [join(root, "bench", "pytorch", `${example}.py`), directory, ...seeds.map(String)]);
  return out.trim().split("\n").map((line) => JSON.parse(line));
}

function summary(runs) {
  const finals = runs.map((r) => r.epochs.at(-1).val_accuracy * 100);
  const mean = finals.reduce((a, b) => a + b, 0) / finals.length;
  const sd = Math.sqrt(finals.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, finals.length - 1));
  const perSeed = runs.map((r) => `${r.seed}: ${r.epochs.map((e) => (e.val_accuracy * 100).toFixed(2)).join(" / ")}`);
  return [
    ...perSeed.map((line) => `  seed ${line}`),
    `  after the last epoch: mean ${mean.toFixed(2)}%, sd ${sd.toFixed(2)}, min ${Math.min(...finals).toFixed(2)}%, max ${Math.max(...finals).toFixed(2)}%, ` +
      `${finals.filter((a) => a >= target).length} of ${finals.length} at ${target}% or more`,
  ].join("\n");
}

const seeds = seedList(option("--seeds", "0-9"));
const python = option("--python", "python3");
const directory = mkdtempSync(join(tmpdir(), "neuron-mnist-split-"));
try {
  writeSplit(directory);
  // The two systems run side by side, one core each.
  const [torchRuns, neuronRuns] = await Promise.all([
    pytorch(python, directory, seeds),
    (async () => {
      const runs = [];
      for (const seed of seeds) runs.push(await neuron(seed));
      return runs;
    })(),
  ]);
  console.log(`${example} held-out accuracy after each epoch, seeds ${seeds.join(", ")}`);
  console.log(`Neuron (nnc train):\n${summary(neuronRuns)}`);
  console.log(`PyTorch (${example}.py):\n${summary(torchRuns)}`);
} finally {
  rmSync(directory, { recursive: true, force: true });
}
