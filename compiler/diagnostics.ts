// One diagnostic type for every stage: the parser, the checker, the CLI and the language server.
// grammar/ declares it (it stands alone); this is where every later stage imports it from.
import type { Diagnostic } from "../grammar/diagnostics.js";

export type { Diagnostic, Fix, Severity } from "../grammar/diagnostics.js";

/** `file:line:col: error: message` with a 1-based line and column (code points). */
export function formatDiagnostic(file: string, d: Diagnostic): string {
  return `${file}:${d.range.start.line}:${d.range.start.column}: ${d.severity}: ${d.message}`;
}

/** Sorted by line, then column: the first error of a file is the one a reader meets first. */
export function sortDiagnostics(ds: readonly Diagnostic[]): Diagnostic[] {
  return [...ds].sort(
    (a, b) => a.range.start.line - b.range.start.line || a.range.start.column - b.range.start.column,
  );
}
