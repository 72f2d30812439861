// Checkpoints and weights files on disk.

import { decodeCheckpoint, type Checkpoint } from "../checkpoint.js";
import type { ModelInfo } from "../model.js";
import { SafetensorsError } from "../safetensors.js";
import { CheckpointError } from "../weights.js";
import { readFileBytes, writeFileAtomic } from "./files.js";

/** Reads and checks a checkpoint or weights file; errors are one line starting with the path. */
export function readCheckpointFile(path: string, info: ModelInfo): Checkpoint {
  const bytes = readFileBytes(path);
  try {
    return decodeCheckpoint(info, bytes);
  } catch (error) {
    if (error instanceof SafetensorsError) throw new SafetensorsError(`${path}: ${error.message}`);
    if (error instanceof CheckpointError) throw new CheckpointError(`${path}: ${error.message}`);
    throw error;
  }
}

/** Writes checkpoint bytes atomically (temporary file, fsync, rename). */
export function writeCheckpointFile(path: string, bytes: Uint8Array): void {
  writeFileAtomic(path, bytes);
}
