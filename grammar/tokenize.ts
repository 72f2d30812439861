// The token vocabulary as the language server and the formatter see it: every token of a
// file in source order, comments included, each with a kind and a range.
import type { IToken } from "chevrotain";
import type { Range } from "./ast.js";
import * as T from "./lexer.js";
import { LineIndex } from "./positions.js";
import { scan } from "./scanner.js";

export type TokenKind = "keyword" | "identifier" | "number" | "bool" | "operator" | "punctuation" | "comment";

export interface SourceToken {
  kind: TokenKind;
  /** The token as written. */
  text: string;
  range: Range;
}

/** Characters that start no token are left out; `parse` reports them. */
export function tokenize(text: string): SourceToken[] {
  const lines = new LineIndex(text);
  const lexed = scan(text);
  const all = [...lexed.tokens, ...lexed.comments].sort((a, b) => a.startOffset - b.startOffset);
  return all.map((token) => ({
    kind: kindOf(token),
    text: token.image,
    range: lines.range(token.startOffset, token.startOffset + token.image.length),
  }));
}

const operators = new Set([T.Pipe, T.Plus, T.Minus, T.Star, T.Slash, T.Equals]);

function kindOf(token: IToken): TokenKind {
  const type = token.tokenType;
  if (type === T.Identifier) return "identifier";
  if (type === T.NumberLiteral) return "number";
  if (type === T.True || type === T.False) return "bool";
  if (T.keywords.includes(type)) return "keyword";
  if (type === T.LineComment || type === T.BlockComment || type === T.UnterminatedComment) return "comment";
  if (operators.has(type)) return "operator";
  return "punctuation";
}
