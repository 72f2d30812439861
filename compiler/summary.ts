// What `nnc summary` shows of a checked model: its layers with output shapes and parameter
// counts, and the totals. Reads only the ModelGraph, so the playground and the training report
// use it too.
import type { GraphNode, ModelGraph } from "./graph.js";

export interface LayerSummary {
  name: string;
  op: string;
  /** The output shape with the batch first, as `null`. */
  shape: (number | null)[];
  params: number;
}

export interface ModelSummary {
  name: string;
  layers: LayerSummary[];
  /** Every parameter and buffer, in ModelGraph.params order, under its checkpoint name. */
  params: { name: string; shape: number[]; trainable: boolean }[];
  total: number;
  trainable: number;
}

function elements(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function nodeName(n: GraphNode): string {
  return n.name ?? `${n.op}#${n.id}`;
}

export function summarise(graph: ModelGraph): ModelSummary {
  const layers = graph.nodes.map((n) => ({
    name: nodeName(n),
    op: n.op,
    shape: [null, ...n.type.shape],
    params: n.params.reduce((a, p) => a + elements(p.shape), 0),
  }));
  const params = graph.params.map((p) => ({ name: p.name, shape: p.shape, trainable: p.trainable }));
  const total = params.reduce((a, p) => a + elements(p.shape), 0);
  const trainable = params.filter((p) => p.trainable).reduce((a, p) => a + elements(p.shape), 0);
  return { name: graph.name, layers, params, total, trainable };
}

const thousands = new Intl.NumberFormat("en-US");

export function formatSummary(s: ModelSummary): string {
  const header = ["Layer", "Op", "Output shape", "Params"];
  const rows = s.layers.map((l) => [
    l.name,
    l.op,
    `(${l.shape.map((d) => (d === null ? "None" : String(d))).join(", ")}${l.shape.length === 1 ? "," : ""})`,
    thousands.format(l.params),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === cells.length - 1 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join("  ");
  const rule = (ch: string) => ch.repeat(widths.reduce((a, w) => a + w, 0) + 2 * (widths.length - 1));
  return [
    `Model: ${s.name}`,
    rule("="),
    line(header),
    rule("-"),
    ...rows.map(line),
    rule("="),
    `Total params: ${thousands.format(s.total)}`,
    `Trainable params: ${thousands.format(s.trainable)}`,
    `Non-trainable params: ${thousands.format(s.total - s.trainable)}`,
    "",
  ].join("\n");
}
