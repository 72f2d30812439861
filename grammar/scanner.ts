// Text to tokens, by hand. Chevrotain's Lexer tries the token patterns as regular
// expressions and tracks lines and columns; on a 5,000-line file that was a fifth of the
// parse. The vocabulary is small enough to read one character at a time, and positions are
// computed from offsets alone (positions.ts), so tokens carry offsets only.
//
// The patterns in lexer.ts remain the specification: test/grammar/scanner.test.ts checks
// that this scanner and a Chevrotain Lexer built from them agree on every input it tries.
import type { IToken, TokenType } from "chevrotain";
import * as T from "./lexer.js";

/** A run of characters that start no token, reported as one error. */
export interface LexError {
  offset: number;
  length: number;
}

export interface LexResult {
  /** The tokens the parser reads: no comments, no whitespace. */
  tokens: IToken[];
  comments: IToken[];
  errors: LexError[];
}

const keywordTypes: ReadonlyMap<string, TokenType> = new Map(
  T.keywords.map((type) => [(type.PATTERN as RegExp).source, type]),
);
const shortestKeyword = Math.min(...[...keywordTypes.keys()].map((k) => k.length));
const longestKeyword = Math.max(...[...keywordTypes.keys()].map((k) => k.length));

/** The token type a single character makes, indexed by its character code (ASCII only). */
const singleCharacterTypes: readonly (TokenType | undefined)[] = (() => {
  const types = new Array<TokenType | undefined>(128).fill(undefined);
  const pairs = [
    ["+", T.Plus], ["-", T.Minus], ["*", T.Star], ["(", T.LParen], [")", T.RParen], ["[", T.LBracket],
    ["]", T.RBracket], ["{", T.LBrace], ["}", T.RBrace], [",", T.Comma], [":", T.Colon], ["=", T.Equals],
  ] as const;
  for (const [character, type] of pairs) types[character.charCodeAt(0)] = type;
  return types;
})();

const SLASH = 0x2f;
const STAR = 0x2a;
const BAR = 0x7c;
const GREATER = 0x3e;
const DOT = 0x2e;
const BYTE_ORDER_MARK = 0xfeff;

export function scan(text: string): LexResult {
  const tokens: IToken[] = [];
  const comments: IToken[] = [];
  const errors: LexError[] = [];
  const length = text.length;
  // A byte order mark at the very start is not content; skipping it keeps every offset
  // pointing into the caller's text.
  let offset = text.charCodeAt(0) === BYTE_ORDER_MARK ? 1 : 0;
  while (offset < length) {
    const c = text.charCodeAt(offset);
    const start = offset;
    if (isWhiteSpace(c)) {
      offset++;
    } else if (isNameStart(c)) {
      offset = endOfName(text, offset);
      const image = text.slice(start, offset);
      const size = offset - start;
      const keyword = size >= shortestKeyword && size <= longestKeyword ? keywordTypes.get(image) : undefined;
      tokens.push(tokenOf(keyword ?? T.Identifier, image, start, offset));
    } else if (isDigit(c) || (c === DOT && isDigit(text.charCodeAt(offset + 1)))) {
      offset = endOfNumber(text, offset);
      tokens.push(token(T.NumberLiteral, text, start, offset));
    } else if (c === SLASH && text.charCodeAt(offset + 1) === SLASH) {
      offset = endOfLine(text, offset);
      comments.push(token(T.LineComment, text, start, offset));
    } else if (c === SLASH && text.charCodeAt(offset + 1) === STAR) {
      const close = text.indexOf("*/", offset + 2);
      offset = close === -1 ? length : close + 2;
      comments.push(token(close === -1 ? T.UnterminatedComment : T.BlockComment, text, start, offset));
    } else if (c === BAR && text.charCodeAt(offset + 1) === GREATER) {
      offset += 2;
      tokens.push(token(T.Pipe, text, start, offset));
    } else if (c === SLASH) {
      offset++;
      tokens.push(token(T.Slash, text, start, offset));
    } else if (singleCharacterType(c)) {
      offset++;
      tokens.push(token(singleCharacterType(c)!, text, start, offset));
    } else {
      // Like Chevrotain's Lexer: skip to the next character that can start a token.
      do offset++;
      while (offset < length && !startsToken(text, offset));
      errors.push({ offset: start, length: offset - start });
    }
  }
  return { tokens, comments, errors };
}

function token(type: TokenType, text: string, start: number, end: number): IToken {
  return tokenOf(type, text.slice(start, end), start, end);
}

/** Shaped like Chevrotain's tokens, less the lines and columns nothing reads. `end` is exclusive. */
function tokenOf(type: TokenType, image: string, start: number, end: number): IToken {
  return { image, startOffset: start, endOffset: end - 1, tokenTypeIdx: type.tokenTypeIdx!, tokenType: type };
}

function startsToken(text: string, offset: number): boolean {
  const c = text.charCodeAt(offset);
  if (isWhiteSpace(c) || isNameStart(c) || isDigit(c) || c === SLASH || singleCharacterType(c)) return true;
  if (c === DOT) return isDigit(text.charCodeAt(offset + 1));
  return c === BAR && text.charCodeAt(offset + 1) === GREATER;
}

function endOfName(text: string, offset: number): number {
  let end = offset + 1;
  while (isNamePart(text.charCodeAt(end))) end++;
  return end;
}

/** `(\d+(\.\d*)?|\.\d+)([eE][+-]?\d*)?[A-Za-z0-9_.]*`: greedy, so that malformed numbers stay whole. */
function endOfNumber(text: string, offset: number): number {
  let end = offset;
  while (isDigit(text.charCodeAt(end))) end++;
  if (text.charCodeAt(end) === DOT) {
    end++;
    while (isDigit(text.charCodeAt(end))) end++;
  }
  const e = text.charCodeAt(end);
  if (e === 0x65 || e === 0x45) {
    end++;
    const sign = text.charCodeAt(end);
    if (sign === 0x2b || sign === 0x2d) end++;
    while (isDigit(text.charCodeAt(end))) end++;
  }
  while (isNamePart(text.charCodeAt(end)) || text.charCodeAt(end) === DOT) end++;
  return end;
}

function endOfLine(text: string, offset: number): number {
  let end = offset;
  while (end < text.length) {
    const c = text.charCodeAt(end);
    if (c === 10 || c === 13) break;
    end++;
  }
  return end;
}

function singleCharacterType(c: number): TokenType | undefined {
  return c < singleCharacterTypes.length ? singleCharacterTypes[c] : undefined;
}

/** `[ \t\r\n\f\v]` */
function isWhiteSpace(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d);
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function isNameStart(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === 0x5f;
}

function isNamePart(c: number): boolean {
  return isNameStart(c) || isDigit(c);
}
