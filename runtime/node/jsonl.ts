// JSON lines data: one JSON object per line, a field per input and target, tensors as
// nested arrays shaped as declared (or flat, row-major). Blank lines are skipped.

import { DataError, datasetFromSamples, type Dataset, type Sample } from "../data.js";
import type { ModelInfo } from "../model.js";
import { readTextFile } from "./files.js";

export function parseJsonl(text: string, file: string, info: ModelInfo, withTargets: boolean): Dataset {
  const samples: Sample[] = [];
  const lineOf: number[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === "") return;
    try {
      samples.push(JSON.parse(line) as Sample);
    } catch (error) {
      throw new DataError(`${file}: line ${i + 1}: not valid JSON (${(error as Error).message}); each line must be one object such as {"x": [0, 1], "y": [1]}`);
    }
    lineOf.push(i + 1);
  });
  return datasetFromSamples(info, samples, withTargets, { source: file, where: (index) => `line ${lineOf[index]}` });
}

export function loadJsonl(path: string, info: ModelInfo, withTargets = true): Dataset {
  return parseJsonl(readTextFile(path), path, info, withTargets);
}
