// Diagnostics: the same checker as `nnc check`, its results in the editor's terms.
import { DiagnosticSeverity, DiagnosticTag, type Diagnostic as LspDiagnostic } from "vscode-languageserver";
import { codes } from "../../compiler/check/index.js";
import type { Diagnostic } from "../../compiler/diagnostics.js";
import type { Analysis } from "./documents.js";

export class DiagnosticsProvider {
  diagnose(analysis: Analysis): LspDiagnostic[] {
    return analysis.result.diagnostics.map((d) => toLspDiagnostic(analysis, d));
  }
}

/** `analysis` only converts ranges: any object that does, for the version the diagnostic was computed on. */
export function toLspDiagnostic(analysis: Pick<Analysis, "range">, d: Diagnostic): LspDiagnostic {
  const lsp: LspDiagnostic = {
    range: analysis.range(d.range),
    severity: d.severity === "error" ? DiagnosticSeverity.Error : DiagnosticSeverity.Warning,
    code: d.code,
    source: "nnc",
    message: d.message,
  };
  // Editors grey out code that is never used.
  if (d.code === codes.unusedBinding.code) lsp.tags = [DiagnosticTag.Unnecessary];
  return lsp;
}
