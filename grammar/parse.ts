// `parse`: text in, a Program and every syntax diagnostic out, and never an exception.
//
// The file is read one top-level item at a time. `model` and `block` only ever start an
// item, so the token stream is cut before each of them (and before a `const` outside any
// braces) and each piece is parsed on its own: a model missing its `}` cannot swallow the
// models after it, and each item's errors are reported against that item. It also lets the
// language server reuse, from one version of a file to the next, the items an edit did not
// touch (item-cache.ts).
import type { IRecognitionException, IToken } from "chevrotain";
import type { Diagnostic } from "./diagnostics.js";
import type { Comment, Program, TopLevel } from "./ast.js";
import { AstBuilder } from "./cst-to-ast.js";
import type { ItemKey, ParseCache } from "./item-cache.js";
import { Block, BlockComment, Const, LBrace, Model, RBrace, UnterminatedComment } from "./lexer.js";
import { limitNesting, MAX_NESTING } from "./nesting.js";
import { NeuronParser } from "./parser.js";
import { LineIndex } from "./positions.js";
import { scan } from "./scanner.js";
import { SyntaxCode } from "./syntax-codes.js";
import { SyntaxMessages } from "./syntax-messages.js";

export interface ParseResult {
  program: Program;
  diagnostics: Diagnostic[];
}

/** Built once: Chevrotain's grammar analysis is the costly part of a parser's life. */
let shared: { parser: NeuronParser; messages: SyntaxMessages } | undefined;

function sharedParser(): { parser: NeuronParser; messages: SyntaxMessages } {
  if (!shared) {
    const messages = new SyntaxMessages();
    shared = { parser: new NeuronParser(messages), messages };
  }
  return shared;
}

/**
 * `cache`, kept by a caller that parses one version of a text after another (the language
 * server), lets items whose text did not change be reused rather than parsed again.
 */
export function parse(text: string, cache?: ParseCache): ParseResult {
  const source = typeof text === "string" ? text : String(text);
  const lines = new LineIndex(source);
  // Chevrotain's recovery throws an exception per syntax error, and capturing each one's
  // stack trace was most of the time spent on a broken file. Nothing reads those traces.
  const stackTraceLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return parseSource(source, lines, cache);
  } catch (error) {
    const message = error instanceof RangeError ? "the file is nested too deeply to read" : "internal error in the parser";
    const detail = error instanceof Error ? `: ${error.message}` : "";
    const diagnostic: Diagnostic = {
      severity: "error",
      code: SyntaxCode.InternalError,
      message: `${message}${detail}`,
      range: lines.range(0, 0),
    };
    return { program: { kind: "Program", items: [], comments: [], range: lines.range(0, source.length) }, diagnostics: [diagnostic] };
  } finally {
    Error.stackTraceLimit = stackTraceLimit;
  }
}

function parseSource(text: string, lines: LineIndex, cache: ParseCache | undefined): ParseResult {
  const diagnostics: Diagnostic[] = [];
  const report = (code: string, message: string, start: number, end: number): void => {
    diagnostics.push({ severity: "error", code, message, range: lines.range(start, end) });
  };

  const lexed = scan(text);
  for (const error of lexed.errors) {
    report(SyntaxCode.UnexpectedCharacter, describeUnexpected(text, error.offset), error.offset, error.offset + error.length);
  }
  const comments: Comment[] = lexed.comments.map((c) => {
    if (c.tokenType === UnterminatedComment) {
      report(SyntaxCode.UnterminatedComment, "unterminated comment: '/*' needs a closing '*/'", c.startOffset, c.startOffset + 2);
    }
    const block = c.tokenType === BlockComment || c.tokenType === UnterminatedComment;
    return { kind: "Comment", text: c.image, block, range: lines.range(c.startOffset, c.startOffset + c.image.length) };
  });

  const nested = limitNesting(lexed.tokens);
  for (const opener of nested.tooDeep) {
    const message = `brackets nested more than ${MAX_NESTING} deep: split this expression with intermediate bindings`;
    report(SyntaxCode.NestingTooDeep, message, opener.startOffset, opener.startOffset + 1);
  }

  const { parser, messages } = sharedParser();
  const builder = new AstBuilder(lines, (d) => diagnostics.push(d));
  const items: TopLevel[] = [];
  const pieces = splitTopLevel(nested.tokens);
  cache?.startParse();
  pieces.forEach((piece, i) => {
    const key = cache && itemKey(piece, text, lines);
    const cached = key && cache.find(key);
    if (cached) {
      items.push(cached);
      builder.skipTo(key.end);
      return;
    }
    const reported = diagnostics.length;
    const following = pieces[i + 1]?.[0];
    messages.setInput(piece, following, lines);
    parser.input = piece;
    parser.findLineStartsWith(() => firstOnTheirLines(piece, lines));
    const cst = parser.readTopLevel();
    for (const error of parser.errors) {
      const [start, end] = errorSpan(error, piece, following, lines);
      report(SyntaxCode.SyntaxError, error.message, start, end);
    }
    const item = builder.topLevel(cst);
    if (!item) return;
    items.push(item);
    // An item with a diagnostic may read differently once its neighbours change.
    if (key && diagnostics.length === reported) cache.store(key, item);
  });

  return {
    program: { kind: "Program", items, comments, range: lines.range(0, text.length) },
    diagnostics: dedupe(diagnostics).sort((a, b) => a.range.start.offset - b.range.start.offset),
  };
}

/** What a ParseCache files an item under: its text from the start of its first line to its last token. */
function itemKey(piece: IToken[], text: string, lines: LineIndex): ItemKey {
  const last = piece[piece.length - 1];
  const end = (last.endOffset ?? last.startOffset) + 1;
  const { offset, line } = lines.lineStartOf(piece[0].startOffset);
  return { text: text.slice(offset, end), offset, line, end };
}

/** Cuts the token stream before each `model` and `block`, and before each `const` outside braces. */
export function splitTopLevel(tokens: IToken[]): IToken[][] {
  const pieces: IToken[][] = [];
  // Each piece is sliced out once its end is known: pushing token by token grew every array
  // several times over.
  let start = 0;
  let depth = 0;
  for (let i = 0; i < tokens.length; i++) {
    const type = tokens[i].tokenType;
    const startsItem = type === Model || type === Block || (type === Const && depth === 0);
    if (startsItem) {
      if (i > start) pieces.push(tokens.slice(start, i));
      start = i;
      depth = 0;
    }
    if (type === LBrace) depth++;
    else if (type === RBrace) depth = Math.max(0, depth - 1);
  }
  if (tokens.length > start) pieces.push(tokens.slice(start));
  return pieces;
}

function firstOnTheirLines(tokens: IToken[], lines: LineIndex): Set<IToken> {
  const starts = new Set<IToken>();
  let previousEnd = 0;
  tokens.forEach((token, i) => {
    if (i === 0 || lines.lineBreakBetween(previousEnd, token.startOffset)) starts.add(token);
    previousEnd = (token.endOffset ?? token.startOffset) + 1;
  });
  return starts;
}

/**
 * Where a syntax error points: at the offending token, but where something is missing
 * ("expected ...") at the end of a line, just after the line's last token, where the
 * missing piece belongs, not on the next line. At the end of the input: the next item's
 * first token, or, at the end of the file, just after the last token.
 */
function errorSpan(error: IRecognitionException, piece: IToken[], following: IToken | undefined, lines: LineIndex): [number, number] {
  const previous = (error as IRecognitionException & { previousToken?: IToken }).previousToken;
  const previousEnd = previous && !Number.isNaN(previous.startOffset) ? (previous.endOffset ?? previous.startOffset) + 1 : undefined;
  const token = error.token;
  const missing = error.message.startsWith("expected ");
  if (token && !Number.isNaN(token.startOffset)) {
    if (missing && previousEnd !== undefined && lines.lineBreakBetween(previousEnd, token.startOffset)) return [previousEnd, previousEnd];
    return [token.startOffset, (token.endOffset ?? token.startOffset) + 1];
  }
  if (following) {
    if (missing && previousEnd !== undefined && lines.lineBreakBetween(previousEnd, following.startOffset)) return [previousEnd, previousEnd];
    return [following.startOffset, following.startOffset + following.image.length];
  }
  const last = piece[piece.length - 1];
  const end = last ? (last.endOffset ?? last.startOffset) + 1 : lines.length;
  return [end, end];
}

function describeUnexpected(text: string, offset: number): string {
  const codePoint = text.codePointAt(offset) ?? 0;
  const character = String.fromCodePoint(codePoint);
  const unicode = `U+${codePoint.toString(16).toUpperCase().padStart(4, "0")}`;
  if (character === "|") return "unexpected character '|': the pipe operator is '|>'";
  if (character === ";") return "unexpected character ';': statements need no separator";
  if (codePoint === 0xfeff) return `unexpected byte order mark (${unicode}) inside the file`;
  if (/\p{L}/u.test(character)) {
    return `unexpected character '${character}' (${unicode}): names use ASCII letters, digits and '_'`;
  }
  if (/[\p{C}\p{Z}]/u.test(character)) return `unexpected invisible character ${unicode}`;
  return `unexpected character '${character}'`;
}

/** Recovery can report one fault twice at the same place; a reader needs it once. */
function dedupe(diagnostics: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return diagnostics.filter((d) => {
    const key = `${d.range.start.offset}:${d.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
