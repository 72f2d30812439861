// From `.nn` text to the one checked model a command works on (`--model NAME`, or the file's
// only model), with every failure a ModelSourceError whose message is ready to print:
// the file's diagnostics as `file:line:col: error: message`, or one line naming the problem
// and the fix.

import { checkText } from "./check/index.js";
import { suggest } from "./check/suggest.js";
import { formatDiagnostic } from "./diagnostics.js";
import type { ModelGraph } from "./graph.js";

export class ModelSourceError extends Error {
  override name = "ModelSourceError";
}

/**
 * Why a .nn file cannot be read, worded as runtime/node/files.ts words it for data and
 * checkpoints (`PATH: cannot read: no such file or directory`), so that every command says it alike.
 */
export function unreadableReason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === "ENOENT") return "no such file or directory";
  if (code === "EISDIR") return "is a directory, expected a .nn file";
  if (code === "EACCES") return "permission denied";
  return (error as Error).message;
}

export function checkedModel(text: string, file: string, modelName?: string): ModelGraph {
  const result = checkText(text, file);
  const errors = result.diagnostics.filter((d) => d.severity === "error");
  if (errors.length > 0) throw new ModelSourceError(errors.map((d) => formatDiagnostic(file, d)).join("\n"));
  const names = result.models.map((m) => m.name);
  if (modelName !== undefined) {
    const model = result.models.find((m) => m.name === modelName);
    if (model) return model;
    const guess = suggest(modelName, names);
    throw new ModelSourceError(
      `${file}: no model named '${modelName}'${guess ? ` (did you mean '${guess}'?)` : ""}; the file defines ${names.join(", ") || "no model"}`,
    );
  }
  if (result.models.length === 1) return result.models[0]!;
  if (result.models.length === 0) throw new ModelSourceError(`${file}: defines no model; add \`model Name { ... }\``);
  throw new ModelSourceError(`${file}: defines ${names.length} models (${names.join(", ")}); choose one with --model NAME`);
}
