// Quick fixes: every diagnostic that carries a "did you mean" fix becomes a code action
// that applies it.
import { CodeActionKind, type CodeAction, type Range } from "vscode-languageserver";
import { toLspDiagnostic } from "./diagnostics.js";
import type { Analysis } from "./documents.js";

export class CodeActionsProvider {
  actions(analysis: Analysis, range: Range): CodeAction[] {
    const from = analysis.offsetAt(range.start);
    const to = analysis.offsetAt(range.end);
    const actions: CodeAction[] = [];
    for (const d of analysis.result.diagnostics) {
      if (!d.fix || d.range.end.offset < from || d.range.start.offset > to) continue;
      actions.push({
        title: d.fix.title,
        kind: CodeActionKind.QuickFix,
        diagnostics: [toLspDiagnostic(analysis, d)],
        isPreferred: true,
        edit: { changes: { [analysis.uri]: [{ range: analysis.range(d.fix.range), newText: d.fix.replacement }] } },
      });
    }
    return actions;
  }
}
