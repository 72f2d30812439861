// Neuron is channels-last: an image is [H, W, C] per sample, so `flatten` after a convolution
// orders features (h, w, c). PyTorch is channels-first and its flatten gives (c, h, w). A
// weight matrix that reads a flattened image therefore has the same shape in both worlds but
// its columns in another order: loading a PyTorch state_dict as it is would compute the
// wrong thing without any error. This module finds those weights in a model and converts
// them from PyTorch's order to Neuron's (`--from pytorch`).

import type { GraphNode, ModelGraph } from "../graph.js";
import { layerEntries } from "../library/index.js";

/** A parameter whose last axis runs over a flattened [H, W, C] image. */
export interface FlattenSite {
  param: string;
  /** The image before the flatten: [H, W, C]. */
  image: [number, number, number];
  /** The `.nn` line of the flatten. */
  line: number;
}

export interface LayoutAnalysis {
  sites: FlattenSite[];
  /** Where a flattened image reaches something whose weights cannot be converted. */
  blocked: { node: GraphNode; flattenLine: number } | null;
}

/** Ops that keep each feature where it is and own no weights along it. */
function passesThrough(node: GraphNode): boolean {
  if (node.op === "dropout" || node.op === "scale" || node.op === "identity") return true;
  return layerEntries.get(node.op)?.group === "activation" && node.op !== "softmax";
}

/** Normalisations of a flat vector: their per-feature weights are permuted like the features. */
const perFeature = new Set(["batch_norm", "layer_norm"]);

function flattensImage(node: GraphNode, graph: ModelGraph): [number, number, number] | null {
  if (node.op !== "flatten" && !(node.op === "reshape" && node.type.shape.length === 1)) return null;
  const input = graph.nodes[node.inputs[0]!]!;
  return input.type.shape.length === 3 ? (input.type.shape as [number, number, number]) : null;
}

export function analyseLayout(graph: ModelGraph): LayoutAnalysis {
  const consumers = new Map<number, GraphNode[]>();
  for (const node of graph.nodes) for (const i of node.inputs) consumers.set(i, [...(consumers.get(i) ?? []), node]);
  const sites: FlattenSite[] = [];
  for (const node of graph.nodes) {
    const image = flattensImage(node, graph);
    if (image === null) continue;
    const flattenLine = node.source.line;
    const queue = [...(consumers.get(node.id) ?? [])];
    const seen = new Set<number>();
    while (queue.length > 0) {
      const next = queue.shift()!;
      if (seen.has(next.id)) continue;
      seen.add(next.id);
      if (next.op === "dense") {
        sites.push({ param: next.params[0]!.name, image, line: flattenLine });
        continue;
      }
      if (perFeature.has(next.op)) {
        for (const p of next.params) sites.push({ param: p.name, image, line: flattenLine });
      } else if (!passesThrough(next)) {
        return { sites, blocked: { node: next, flattenLine } };
      }
      queue.push(...(consumers.get(next.id) ?? []));
    }
  }
  return { sites, blocked: null };
}

/** Index in Neuron's (h, w, c) order -> index in PyTorch's (c, h, w) order. */
export function torchFeatureIndex([h, w, c]: readonly number[]): Int32Array {
  const perm = new Int32Array(h! * w! * c!);
  for (let y = 0; y < h!; y++)
    for (let x = 0; x < w!; x++) for (let ch = 0; ch < c!; ch++) perm[(y * w! + x) * c! + ch] = (ch * h! + y) * w! + x;
  return perm;
}

type Floats = Float32Array | Float64Array;

/** Reorders the last axis of each site's parameter between PyTorch's order and Neuron's, in place. */
function reorderFeatures(weights: Map<string, Floats>, sites: readonly FlattenSite[], to: "neuron" | "torch"): void {
  for (const site of sites) {
    const data = weights.get(site.param);
    if (data === undefined) continue;
    const perm = torchFeatureIndex(site.image);
    const width = perm.length;
    const copy = data.slice();
    for (let row = 0; row < data.length / width; row++) {
      const at = row * width;
      for (let i = 0; i < width; i++) {
        if (to === "neuron") data[at + i] = copy[at + perm[i]!]!;
        else data[at + perm[i]!] = copy[at + i]!;
      }
    }
  }
}

/** PyTorch's order to Neuron's, for a checkpoint a channels-first PyTorch model wrote. */
export function convertFromTorch(weights: Map<string, Floats>, sites: readonly FlattenSite[]): void {
  reorderFeatures(weights, sites, "neuron");
}

/** The inverse: Neuron's order to PyTorch's, for writing a checkpoint a channels-first PyTorch model reads. */
export function convertToTorch(weights: Map<string, Floats>, sites: readonly FlattenSite[]): void {
  reorderFeatures(weights, sites, "torch");
}
