// `nnc summary FILE`: per model, a Keras-like table of layers with their output shapes and
// parameter counts, and the totals; `--json` for tools. Reads only the ModelGraph.
import { checkText } from "../check/index.js";
import { suggest } from "../check/suggest.js";
import { formatDiagnostic } from "../diagnostics.js";
import type { GraphNode, ModelGraph } from "../graph.js";
import { UsageError } from "./args.js";
import type { Command } from "./command.js";
import { readSourceFile } from "./files.js";

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

export const summary: Command = {
  name: "summary",
  summary: "show each model's layers, output shapes and parameter counts",
  usage: "nnc summary FILE [--model NAME] [--json]",
  options: [
    { name: "model", kind: "string", valueName: "NAME", doc: "only the model named NAME" },
    { name: "json", kind: "boolean", doc: "print JSON: { models: [{ name, layers, params, total, trainable }] }" },
  ],
  async run(args, io) {
    if (args.positionals.length !== 1) throw new UsageError("summary takes exactly one file: nnc summary FILE [--model NAME] [--json]");
    const file = args.positionals[0]!;
    const result = checkText(await readSourceFile(file), file);
    const errors = result.diagnostics.filter((d) => d.severity === "error");
    if (errors.length > 0) {
      for (const d of errors) io.stderr.write(formatDiagnostic(file, d) + "\n");
      return 1;
    }
    let models = result.models;
    const wanted = args.string("model");
    if (wanted !== undefined) {
      models = models.filter((m) => m.name === wanted);
      if (models.length === 0) {
        const names = result.models.map((m) => m.name);
        const guess = suggest(wanted, names);
        throw new UsageError(
          `no model '${wanted}' in ${file}${guess ? ` (did you mean '${guess}'?)` : ""}; it has ${names.length === 0 ? "none" : names.join(", ")}`,
        );
      }
    }
    const summaries = models.map(summarise);
    if (args.flag("json")) io.stdout.write(JSON.stringify({ models: summaries }, null, 2) + "\n");
    else io.stdout.write(summaries.map(formatSummary).join("\n"));
    return 0;
  },
};
