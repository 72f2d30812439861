// The Neuron language server: wires the providers (one LSP feature per file in this folder)
// to a connection. Started by `nnc lsp --stdio`. Uses the checker and the formatter, never
// the emitter.
import {
  CodeActionKind,
  DiagnosticSeverity,
  createConnection,
  ProposedFeatures,
  TextDocuments,
  TextDocumentSyncKind,
  type CodeAction,
  type CodeActionParams,
  type CompletionItem,
  type Connection,
  type DocumentSymbol,
  type FoldingRange,
  type Hover,
  type InitializeResult,
  type Location,
  type PrepareRenameResult,
  type ReferenceParams,
  type RenameParams,
  type SemanticTokens,
  type SignatureHelp,
  type TextDocumentPositionParams,
  type TextEdit,
  type WorkspaceEdit,
} from "vscode-languageserver/node";
import { TextDocument } from "vscode-languageserver-textdocument";
import type { Range } from "../../grammar/ast.js";
import { AnalysisScheduler } from "./analysis-scheduler.js";
import type { CheckReply } from "./analysis-worker.js";
import { CodeActionsProvider } from "./code-actions.js";
import { CompletionProvider } from "./completion.js";
import { DefinitionProvider } from "./definition.js";
import { toLspDiagnostic } from "./diagnostics.js";
import { DocumentSymbolsProvider } from "./document-symbols.js";
import { AnalysisCache, type Analysis } from "./documents.js";
import { FrameGuard } from "./framing.js";
import { FoldingRangesProvider } from "./folding-ranges.js";
import { FormattingProvider } from "./formatting.js";
import { guarded } from "./guard.js";
import { HoverProvider } from "./hover.js";
import { ReferencesProvider } from "./references.js";
import { RenameProvider } from "./rename.js";
import { SemanticTokensProvider, semanticTokensLegend } from "./semantic-tokens.js";
import { SignatureHelpProvider } from "./signature-help.js";

export interface ServerStreams {
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream;
}

/** Serves LSP over the streams until the client disconnects. */
export function startServer(streams: ServerStreams): Promise<void> {
  // A malformed message is skipped and logged to the editor's output panel (framing.ts).
  const input = streams.input.pipe(new FrameGuard((why) => connection.console.error(why)));
  const connection: Connection = createConnection(ProposedFeatures.all, input, streams.output);
  const documents = new TextDocuments(TextDocument);
  const analyses = new AnalysisCache(true);
  const analysisOf = (uri: string): Analysis | undefined => {
    const document = documents.get(uri);
    return document && analyses.of(document);
  };

  connection.onInitialize(
    (): InitializeResult => ({
      capabilities: {
        textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental },
        hoverProvider: true,
        completionProvider: { triggerCharacters: [">", "(", ",", ":"] },
        signatureHelpProvider: { triggerCharacters: ["(", ","], retriggerCharacters: [":"] },
        definitionProvider: true,
        referencesProvider: true,
        renameProvider: { prepareProvider: true },
        documentSymbolProvider: true,
        documentFormattingProvider: true,
        semanticTokensProvider: { legend: semanticTokensLegend, full: true },
        foldingRangeProvider: true,
        codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix] },
      },
      serverInfo: { name: "nnc lsp" },
    }),
  );

  const stopChecks = registerDiagnostics(connection, documents, analyses);

  const on = <P extends { textDocument: { uri: string } }, R>(name: string, fallback: R, handler: (analysis: Analysis, params: P) => R) =>
    guarded(connection.console, name, fallback, (params: P): R => {
      const analysis = analysisOf(params.textDocument.uri);
      return analysis ? handler(analysis, params) : fallback;
    });

  const hover = new HoverProvider();
  const completion = new CompletionProvider();
  const signatureHelp = new SignatureHelpProvider();
  const definition = new DefinitionProvider();
  const references = new ReferencesProvider();
  const rename = new RenameProvider();
  const symbols = new DocumentSymbolsProvider();
  const formatting = new FormattingProvider();
  const semanticTokens = new SemanticTokensProvider();
  const folding = new FoldingRangesProvider();
  const codeActions = new CodeActionsProvider();

  connection.onHover(on("hover", null as Hover | null, (a, p: TextDocumentPositionParams) => hover.hover(a, p.position)));
  connection.onCompletion(on("completion", [] as CompletionItem[], (a, p: TextDocumentPositionParams) => completion.complete(a, p.position)));
  connection.onSignatureHelp(on("signature help", null as SignatureHelp | null, (a, p: TextDocumentPositionParams) => signatureHelp.signatureHelp(a, p.position)));
  connection.onDefinition(on("definition", null as Location | null, (a, p: TextDocumentPositionParams) => definition.definition(a, p.position)));
  connection.onReferences(on("references", [] as Location[], (a, p: ReferenceParams) => references.references(a, p.position, p.context.includeDeclaration)));
  connection.onPrepareRename(on("prepare rename", null as PrepareRenameResult | null, (a, p: TextDocumentPositionParams) => rename.prepare(a, p.position)));
  connection.onRenameRequest(on("rename", null as WorkspaceEdit | null, (a, p: RenameParams) => rename.rename(a, p.position, p.newName)));
  connection.onDocumentSymbol(on("document symbols", [] as DocumentSymbol[], (a) => symbols.symbols(a)));
  connection.onDocumentFormatting(on("formatting", [] as TextEdit[], (a) => formatting.format(a)));
  connection.languages.semanticTokens.on(on("semantic tokens", { data: [] } as SemanticTokens, (a) => semanticTokens.tokens(a)));
  connection.onFoldingRanges(on("folding ranges", [] as FoldingRange[], (a) => folding.ranges(a)));
  connection.onCodeAction(on("code actions", [] as CodeAction[], (a, p: CodeActionParams) => codeActions.actions(a, p.range)));

  documents.listen(connection);
  return new Promise((resolve) => {
    connection.onExit(() => {
      stopChecks();
      resolve();
    });
    connection.listen();
  });
}

/** How long one check of a document may run before it is stopped and reported at 1:1. */
const checkBudgetMs = Number(process.env.NNC_LSP_CHECK_BUDGET_MS) || 10_000;

/**
 * Checks a document on open and after changes, on a worker thread (analysis-scheduler.ts), and
 * publishes the diagnostics of the version they were computed for, only while it is current.
 */
function registerDiagnostics(connection: Connection, documents: TextDocuments<TextDocument>, analyses: AnalysisCache): () => void {
  // The tests count checks through this log; an editor's output panel stays quiet.
  const trace = process.env.NNC_LSP_TRACE === "1";
  const current = (uri: string, version: number): TextDocument | undefined => {
    const document = documents.get(uri);
    return document && document.version === version ? document : undefined;
  };
  const at = (document: TextDocument) => ({
    range: (r: Range) => ({ start: document.positionAt(r.start.offset), end: document.positionAt(r.end.offset) }),
  });
  const atStart = { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };
  const scheduler = new AnalysisScheduler({
    debounceMs: 25,
    budgetMs: checkBudgetMs,
    onChecked: guarded(connection.console, "diagnostics", undefined, ({ uri, version, diagnostics, ms }: CheckReply): void => {
      if (trace) connection.console.log(`nnc lsp: checked ${uri} version ${version} in ${ms.toFixed(0)} ms`);
      analyses.measured(uri, ms);
      const document = current(uri, version);
      if (!document) return;
      void connection.sendDiagnostics({ uri, version, diagnostics: diagnostics.map((d) => toLspDiagnostic(at(document), d)) });
    }),
    onTooExpensive: (uri, version) => {
      analyses.measured(uri, Infinity);
      if (!current(uri, version)) return;
      const message = `nnc lsp: this file took more than ${(checkBudgetMs / 1000).toFixed(1)} s to check and was not checked fully; run \`nnc check\` on it, or make it smaller`;
      void connection.sendDiagnostics({ uri, version, diagnostics: [{ range: atStart, severity: DiagnosticSeverity.Warning, source: "nnc", message }] });
    },
    onFailed: (uri, version, why) => {
      analyses.measured(uri, Infinity);
      if (!current(uri, version)) return;
      const message = `nnc lsp: the check of this file failed (${why}); run \`nnc check\` on it`;
      void connection.sendDiagnostics({ uri, version, diagnostics: [{ range: atStart, severity: DiagnosticSeverity.Warning, source: "nnc", message }] });
    },
  });
  documents.onDidChangeContent(({ document }) => {
    if (trace) connection.console.log(`nnc lsp: scheduled ${document.uri} version ${document.version}`);
    scheduler.schedule(document.uri, document.version, document.getText());
  });
  documents.onDidClose(({ document }) => {
    scheduler.forget(document.uri);
    analyses.forget(document.uri);
    void connection.sendDiagnostics({ uri: document.uri, diagnostics: [] });
  });
  return () => scheduler.dispose();
}
