// One diagnostic type for every stage: the parser, the checker, the CLI and the language server.
import type { Range } from "../grammar/ast.js";

export type Severity = "error" | "warning";

/** A replacement that fixes the diagnostic ("did you mean"); the language server offers it as a code action. */
export interface Fix {
  range: Range;
  replacement: string;
  title: string;
}

export interface Diagnostic {
  severity: Severity;
  /** Stable code, `NN` and four digits; listed in docs/language.md. */
  code: string;
  message: string;
  range: Range;
  fix?: Fix;
}

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
