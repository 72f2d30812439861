// `nnc summary FILE`: per model, a Keras-like table of layers with their output shapes and
// parameter counts, and the totals (compiler/summary.ts); `--json` for tools.
import { checkText } from "../compiler/check/index.js";
import { suggest } from "../compiler/check/suggest.js";
import { formatDiagnostic } from "../compiler/diagnostics.js";
import { formatSummary, summarise } from "../compiler/summary.js";
import { UsageError } from "./args.js";
import type { Command } from "./command.js";
import { readSourceFile } from "./files.js";

export { formatSummary, summarise, type LayerSummary, type ModelSummary } from "../compiler/summary.js";

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
