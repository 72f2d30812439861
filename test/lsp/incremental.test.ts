// The language server reuses the items an edit did not touch (documents.ts keeps a
// ParseCache per document). After any sequence of edits, what it reports must be exactly
// what a fresh analysis of the same text reports: diagnostics, hover, and the checked models.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { TextDocument } from "vscode-languageserver-textdocument";
import { DiagnosticsProvider } from "../../lsp/server/diagnostics.js";
import { Analysis, AnalysisCache } from "../../lsp/server/documents.js";
import { HoverProvider } from "../../lsp/server/hover.js";
import { examplesDir, random } from "../support/fixtures.js";

const source = ["mnist_mlp", "mnist_cnn", "reverse", "xor"].map((n) => readFileSync(`${examplesDir}${n}.nn`, "utf8")).join("\n");

const typed = ["1", "2", "x", " ", "\n", "(", ")", "}", "|> relu", ", ", "model M {\n}\n", "const W = 3\n", "🧠", "8"];

/** A random edit as an editor sends it: a range replaced by a few characters. */
function randomChange(document: TextDocument, next: () => number): { range: { start: ReturnType<TextDocument["positionAt"]>; end: ReturnType<TextDocument["positionAt"]> }; text: string } {
  const length = document.getText().length;
  const start = Math.floor(next() * (length + 1));
  const end = next() < 0.5 ? start : Math.min(length, start + Math.floor(next() * 5));
  const text = next() < 0.3 ? "" : typed[Math.floor(next() * typed.length)];
  return { range: { start: document.positionAt(start), end: document.positionAt(end) }, text };
}

/** Hover everywhere a name starts: every identifier-looking word of the text. */
function hovers(analysis: Analysis, provider: HoverProvider): unknown[] {
  return [...analysis.text.matchAll(/[A-Za-z_][A-Za-z0-9_]*/g)].map((m) => provider.hover(analysis, analysis.positionAt(m.index! + 1)));
}

describe("incremental analysis", () => {
  it("reports what a fresh analysis reports after every edit of a random sequence", () => {
    const next = random(5);
    const analyses = new AnalysisCache();
    const diagnostics = new DiagnosticsProvider();
    const hover = new HoverProvider();
    let document = TextDocument.create("file:///edited.nn", "nn", 1, source);
    for (let version = 2; version < 80; version++) {
      document = TextDocument.update(document, [randomChange(document, next)], version);
      const incremental = analyses.of(document);
      const fresh = new Analysis(TextDocument.create(document.uri, "nn", version, document.getText()));
      expect(diagnostics.diagnose(incremental)).toEqual(diagnostics.diagnose(fresh));
      expect(incremental.result.models).toEqual(fresh.result.models);
      if (version % 8 === 0) expect(hovers(incremental, hover)).toEqual(hovers(fresh, hover));
    }
  });

  it("reports the same after an edit that only moves later items down a line", () => {
    const analyses = new AnalysisCache();
    const diagnostics = new DiagnosticsProvider();
    const hover = new HoverProvider();
    const document = TextDocument.create("file:///moved.nn", "nn", 1, source);
    analyses.of(document).result;
    const moved = TextDocument.update(document, [{ range: { start: { line: 3, character: 0 }, end: { line: 3, character: 0 } }, text: "\n" }], 2);
    const incremental = analyses.of(moved);
    const fresh = new Analysis(TextDocument.create(moved.uri, "nn", 2, moved.getText()));
    expect(diagnostics.diagnose(incremental)).toEqual(diagnostics.diagnose(fresh));
    expect(hovers(incremental, hover)).toEqual(hovers(fresh, hover));
  });
});
