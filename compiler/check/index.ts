// The checker's entry point: parse, resolve names, evaluate every model. Whatever the input,
// it returns a result; a bug inside becomes an "internal error" diagnostic, never a throw.
import type { Node, Program, TopLevel } from "../../grammar/ast.js";
import { parse, type ParseCache } from "../../grammar/index.js";
import { sortDiagnostics, type Diagnostic } from "../diagnostics.js";
import type { ModelGraph } from "../graph.js";
import { codes } from "./codes.js";
import { Evaluator } from "./evaluate.js";
import { sourceTooLarge } from "./limits.js";
import { DiagnosticList } from "./report.js";
import { Resolver } from "./resolve.js";
import { emptySymbols, type Symbols } from "./symbols.js";
import { TypeTable } from "./type-table.js";
import type { ExprInfo } from "./types.js";

export interface CheckResult {
  program: Program;
  /** Parse and check diagnostics, sorted by position. */
  diagnostics: Diagnostic[];
  /** One graph per model without errors, in file order. */
  models: ModelGraph[];
  /**
   * The inferred type of each expression and declared name (for a block body: at its first
   * call). Built on first read (type-table.ts): the command line never reads it.
   */
  readonly types: Map<Node, ExprInfo>;
  symbols: Symbols;
}

export interface CheckOptions {
  /** Kept between versions of one document (the language server), so that unchanged items are not parsed again. */
  parseCache?: ParseCache;
  /**
   * Parse and resolve names only, without shapes or graphs: bounded by the text's size, for the
   * language server to answer requests on a file whose full check is slow.
   */
  namesOnly?: boolean;
}

/** Checks a `.nn` file. `file` only names the file in an internal-error message. */
export function checkText(text: string, file = "<input>", options: CheckOptions = {}): CheckResult {
  const tooLarge = sourceTooLarge(text);
  if (tooLarge) return unread(tooLarge);
  const parsed = parse(text, options.parseCache);
  const list = new DiagnosticList();
  const types = new TypeTable();
  const result: CheckResult = {
    program: parsed.program,
    diagnostics: [],
    models: [],
    get types() {
      return types.map;
    },
    symbols: emptySymbols(),
  };
  try {
    const resolution = new Resolver(list).resolve(parsed.program);
    result.symbols = resolution.symbols;
    if (options.namesOnly) {
      result.diagnostics = sortDiagnostics([...parsed.diagnostics, ...list.diagnostics]);
      return result;
    }
    const broken = itemsWithErrors(parsed.program.items, [...parsed.diagnostics, ...list.diagnostics]);
    const evaluator = new Evaluator(text, resolution, list, types, broken);
    evaluator.evaluateFileConsts(parsed.program.items);
    for (const item of parsed.program.items) {
      if (item.kind !== "Model") continue;
      const graph = evaluator.evaluateModel(item);
      if (graph) result.models.push(graph);
    }
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    const start = { line: 1, column: 1, offset: 0 };
    list.report(codes.internalError, `internal error while checking ${file}: ${message}`, { start, end: start });
    result.models = [];
  }
  result.diagnostics = sortDiagnostics([...parsed.diagnostics, ...list.diagnostics]);
  return result;
}

/** The result for a text refused before parsing: an empty program and the one error why. */
function unread(error: Diagnostic): CheckResult {
  const start = { line: 1, column: 1, offset: 0 };
  return {
    program: { kind: "Program", items: [], comments: [], range: { start, end: start } },
    diagnostics: [error],
    models: [],
    types: new Map(),
    symbols: emptySymbols(),
  };
}

/** The top-level items that contain an error: their models are not compiled, their blocks fail their callers quietly. */
function itemsWithErrors(items: readonly TopLevel[], diagnostics: readonly Diagnostic[]): Set<TopLevel> {
  const broken = new Set<TopLevel>();
  for (const d of diagnostics) {
    if (d.severity !== "error") continue;
    const at = d.range.start.offset;
    const item = items.find((i) => i.range.start.offset <= at && at < i.range.end.offset);
    if (item) broken.add(item);
  }
  return broken;
}

export type { Declaration, DeclarationKind, LibraryReference, Symbols } from "./symbols.js";
export type { CallInfo, ExprInfo } from "./types.js";
export { codes } from "./codes.js";
