// Reading the weights `--init` and `--weights` name, in Neuron's feature order or, with
// `--from pytorch`, converted from a channels-first PyTorch model's (see
// compiler/export/torch-layout.ts). A file that says it holds PyTorch's order is never read
// as Neuron's without that flag. A torch.save file is read by compiler/export/torch-file.ts,
// which runs no pickle code; a legacy pickle is refused with the command that converts it.

import { closeSync, openSync, readSync } from "node:fs";
import { decodeCheckpoint, type Checkpoint } from "../runtime/checkpoint.js";
import { readFileBytes } from "../runtime/node/files.js";
import { encodeSafetensors, SafetensorsError } from "../runtime/safetensors.js";
import { readTorchFile, TorchFileError } from "../compiler/export/torch-file.js";
import { readCheckpointFile } from "../runtime/node/checkpoint-file.js";
import type { ModelInfo } from "../runtime/model.js";
import { CheckpointError } from "../runtime/weights.js";
import type { ModelGraph } from "../compiler/graph.js";
import { analyseLayout, convertFromTorch } from "../compiler/export/torch-layout.js";
import { UsageError, type OptionSpec, type ParsedArgs } from "./args.js";

export const fromOption: OptionSpec = {
  name: "from",
  kind: "string",
  valueName: "neuron|pytorch",
  doc: "whose feature order the weights hold: pytorch converts a channels-first PyTorch model's flatten order (default: as the file's metadata says, refusing PyTorch's)",
};

export type WeightsOrigin = "neuron" | "pytorch" | undefined;

export function fromValue(args: ParsedArgs): WeightsOrigin {
  const value = args.string("from");
  if (value === undefined || value === "neuron" || value === "pytorch") return value;
  throw new UsageError(`--from must be neuron or pytorch, got '${value}'`);
}

/** What the file's metadata says about its feature order. */
function saysPytorch(metadata: Record<string, string>): boolean {
  return metadata.layout === "pytorch" || (metadata.layout === undefined && metadata.format === "pt");
}

function firstBytes(path: string): Uint8Array {
  const bytes = new Uint8Array(8);
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch {
    return new Uint8Array(0); // readCheckpointFile names the missing file.
  }
  try {
    const n = readSync(fd, bytes, 0, 8, 0);
    return bytes.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

type Pickle = "zip" | "legacy" | null;

/**
 * torch.save's zip archive ("PK\x03\x04") or its legacy pickle (PROTO 2-5, then LONG1 of its
 * magic number). A safetensors file starts with its header length, whose high bytes are zero.
 */
function pickleKind(path: string): Pickle {
  const head = firstBytes(path);
  const safetensors = head.length === 8 && head.subarray(4).every((b) => b === 0);
  if (!safetensors && head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04) return "zip";
  if (!safetensors && head[0] === 0x80 && head[1]! >= 2 && head[1]! <= 5 && head[2] === 0x8a) return "legacy";
  return /\.(pt|pth|pkl|ckpt|bin)$/i.test(path) && !safetensors ? "legacy" : null;
}

/** A torch.save'd state_dict, read without running its pickle, as a checkpoint in PyTorch's layout. */
function readTorchCheckpoint(path: string, info: ModelInfo): Checkpoint {
  let bytes: Uint8Array;
  try {
    bytes = encodeSafetensors(readTorchFile(readFileBytes(path)), { layout: "pytorch" });
  } catch (error) {
    if (error instanceof TorchFileError) {
      throw new CheckpointError(`${path}: cannot read this PyTorch file without running its pickle: ${error.message}; convert it to safetensors with ${convertCommand(path)}`);
    }
    throw error;
  }
  try {
    return decodeCheckpoint(info, bytes);
  } catch (error) {
    if (error instanceof CheckpointError || error instanceof SafetensorsError) throw new CheckpointError(`${path}: ${error.message}`);
    throw error;
  }
}

function convertCommand(path: string): string {
  const out = path.replace(/\.[^./\\]*$/, "") + ".safetensors";
  return (
    `python3 -c "import torch; from safetensors.torch import save_file; ` +
    `save_file(torch.load('${path}', map_location='cpu', weights_only=True), '${out}', metadata={'layout': 'pytorch'})"`
  );
}

/** Reads `path` for `graph`, converting or refusing as `origin` and the file's metadata say. */
export function readWeightsFile(path: string, graph: ModelGraph, info: ModelInfo, origin: WeightsOrigin): Checkpoint {
  const pickle = pickleKind(path);
  if (pickle === "legacy") {
    throw new CheckpointError(
      `${path}: a PyTorch pickle in the legacy format, which Neuron does not read (loading a pickle runs code); convert it to safetensors with ${convertCommand(path)} and load that with --from pytorch`,
    );
  }
  const checkpoint = pickle === "zip" ? readTorchCheckpoint(path, info) : readCheckpointFile(path, info);
  const layout = analyseLayout(graph);
  const meta = checkpoint.metadata;
  if (origin === undefined) {
    if (saysPytorch(meta) && layout.sites.length > 0) {
      throw new CheckpointError(
        `${path}: its metadata says it was written by PyTorch (${meta.layout !== undefined ? `layout: ${meta.layout}` : `format: ${meta.format}`}), whose flatten orders features (c, h, w), but model ${graph.name} flattens an image at line ${layout.sites[0]!.line}: pass --from pytorch to convert it (or --from neuron if it comes from a module written by nnc export)`,
      );
    }
    return checkpoint;
  }
  if (origin === "neuron") return checkpoint;
  if (meta.layout === "neuron") {
    throw new CheckpointError(`${path}: its metadata says it already holds Neuron's feature order (layout: neuron): drop --from pytorch`);
  }
  if (layout.blocked !== null) {
    const { node, flattenLine } = layout.blocked;
    throw new CheckpointError(
      `${path}: --from pytorch cannot convert model ${graph.name}: the image flattened at line ${flattenLine} reaches '${node.op}' at line ${node.source.line}, whose weights have no known PyTorch order; convert the weights by hand`,
    );
  }
  convertFromTorch(checkpoint.weights, layout.sites);
  return checkpoint;
}
