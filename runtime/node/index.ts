// The Node-only part of the runtime: files, checkpoints on disk, and data loaders.

export { FileError, readFileBytes, readTextFile, writeFileAtomic } from "./files.js";
export { loadMnist, MNIST_PIXELS, MNIST_TRAIN_SIZE, MNIST_SPLIT_SEED } from "./mnist.js";
export { loadCsv, parseCsv, csvColumns } from "./csv.js";
export { loadJsonl, parseJsonl } from "./jsonl.js";
export { loadDataModule, type Transpile, type DataModuleSets } from "./data-module.js";
export { loadData, DATA_SOURCES, type DataSets, type LoadDataOptions } from "./data-source.js";
export { readCheckpointFile, writeCheckpointFile } from "./checkpoint-file.js";
export { useNodeThreads, defaultThreads } from "./threads.js";
