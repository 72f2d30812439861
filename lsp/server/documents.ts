// The open documents and what the checker makes of each. An analysis is computed on demand
// and cached per document version, so a burst of requests after one edit checks the file
// once, and a request never waits for a check of a version it will not see. Each document
// keeps a ParseCache across its versions: an edit re-parses only the items it touches.
import type { Position as LspPosition, Range as LspRange } from "vscode-languageserver";
import type { TextDocument } from "vscode-languageserver-textdocument";
import type { Range } from "../../grammar/ast.js";
import { ParseCache } from "../../grammar/index.js";
import { checkText, type CheckResult } from "../../compiler/check/index.js";

/** One version of a document and its check result, with position conversions between the two worlds. */
export class Analysis {
  private cachedResult: CheckResult | undefined;
  readonly text: string;
  /** TextDocuments updates a document in place, so the version analysed is kept here. */
  readonly version: number;

  constructor(
    readonly document: TextDocument,
    private readonly parseCache?: ParseCache,
    /** Names without shapes, for a document whose full check is too slow to wait for (see AnalysisCache). */
    readonly namesOnly = false,
  ) {
    this.text = document.getText();
    this.version = document.version;
  }

  get uri(): string {
    return this.document.uri;
  }

  get result(): CheckResult {
    this.cachedResult ??= checkText(this.text, this.document.uri, { parseCache: this.parseCache, namesOnly: this.namesOnly });
    return this.cachedResult;
  }

  /** LSP positions count UTF-16 units on 0-based lines; AST offsets are UTF-16 too, so offsets are the bridge. */
  offsetAt(position: LspPosition): number {
    return this.document.offsetAt(position);
  }

  positionAt(offset: number): LspPosition {
    return this.document.positionAt(offset);
  }

  range(range: Range): LspRange {
    return { start: this.positionAt(range.start.offset), end: this.positionAt(range.end.offset) };
  }
}

/**
 * Requests are answered on the server's only thread, so they may redo a full check there only
 * for a document whose last full check (on the worker) took less than this. Any other document
 * (slow, or not yet checked once) answers from names only, within the requests' budget.
 */
export const inlineCheckBudgetMs = 150;

export class AnalysisCache {
  private readonly byUri = new Map<string, Analysis>();
  private readonly parseCaches = new Map<string, ParseCache>();
  private readonly fast = new Set<string>();

  /** `gated`: the language server's cache, whose full checks run on a worker and are measured (see inlineCheckBudgetMs). */
  constructor(private readonly gated = false) {}

  /** How long the last full check of the document took. */
  measured(uri: string, ms: number): void {
    if (ms <= inlineCheckBudgetMs) this.fast.add(uri);
    else this.fast.delete(uri);
  }

  /** The analysis of the document's current version. */
  of(document: TextDocument): Analysis {
    const cached = this.byUri.get(document.uri);
    const namesOnly = this.gated && !this.fast.has(document.uri);
    if (cached && cached.document === document && cached.version === document.version && cached.namesOnly === namesOnly) return cached;
    let parseCache = this.parseCaches.get(document.uri);
    if (!parseCache) {
      parseCache = new ParseCache();
      this.parseCaches.set(document.uri, parseCache);
    }
    const fresh = new Analysis(document, parseCache, namesOnly);
    this.byUri.set(document.uri, fresh);
    return fresh;
  }

  forget(uri: string): void {
    this.byUri.delete(uri);
    this.parseCaches.delete(uri);
    this.fast.delete(uri);
  }
}
