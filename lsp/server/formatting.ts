// Format document: the same formatter as `nnc fmt`, as one edit of the whole text. A file
// with syntax errors is left alone (its errors are already shown as diagnostics).
import type { TextEdit } from "vscode-languageserver";
import { formatText } from "../../compiler/format/index.js";
import type { Analysis } from "./documents.js";

export class FormattingProvider {
  format(analysis: Analysis): TextEdit[] {
    const result = formatText(analysis.text);
    if (!result.ok || !result.changed) return [];
    const whole = { start: analysis.positionAt(0), end: analysis.positionAt(analysis.text.length) };
    return [{ range: whole, newText: result.text }];
  }
}
