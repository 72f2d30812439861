// The diagnostic type, declared here because the parser is the first stage to report one and
// grammar/ depends on nothing of the compiler's; compiler/diagnostics.ts re-exports it for
// every later stage, so there is still one type from the parser to the CLI and the LSP.
import type { Range } from "./ast.js";

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
