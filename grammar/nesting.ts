// A guard against brackets nested so deep that the recursive-descent parser (and every
// recursive pass after it) would overflow the stack. No real model nests more than a few
// levels; a group beyond the limit is cut out of the token stream, replaced by one TooDeep
// token that the parser reads as a placeholder expression, and reported once.
import type { IToken } from "chevrotain";
import { createTokenInstance } from "./chevrotain.js";
import { LBrace, LBracket, LParen, RBrace, RBracket, RParen, TooDeep } from "./lexer.js";

/**
 * Deeper than any model needs, and well short of where the parser itself runs out of stack
 * (about 400 levels of `[` under Node's default stack, measured), leaving room for callers
 * deep in their own stack and for the recursive passes after the parser.
 */
export const MAX_NESTING = 64;

/**
 * Operators in one chain (`a + b + ...`, `x |> f |> ...`, `- - x`). A chain becomes a
 * tree as deep as it is long, which the recursive passes after the parser must walk.
 */
export const MAX_CHAIN_LENGTH = 1000;

export interface NestingResult {
  tokens: IToken[];
  /** The opening bracket of each group that was cut out. */
  tooDeep: IToken[];
}

export function limitNesting(tokens: IToken[], maxDepth = MAX_NESTING): NestingResult {
  // The usual case, answered without copying the token list.
  if (deepestNesting(tokens) <= maxDepth) return { tokens, tooDeep: [] };
  const tooDeep: IToken[] = [];
  const kept: IToken[] = [];
  let depth = 0;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i];
    if (isOpening(token)) {
      if (depth === maxDepth) {
        const end = skipGroup(tokens, i);
        const last = tokens[end];
        tooDeep.push(token);
        kept.push(createTokenInstance(TooDeep, "", token.startOffset, last.endOffset ?? last.startOffset, NaN, NaN, NaN, NaN));
        i = end;
        continue;
      }
      depth++;
    } else if (isClosing(token)) {
      depth = Math.max(0, depth - 1);
    }
    kept.push(token);
  }
  return { tokens: kept, tooDeep };
}

function deepestNesting(tokens: IToken[]): number {
  let depth = 0;
  let deepest = 0;
  // An index, not for-of: this runs over every token of the file, and the iterator showed
  // up in allocation profiles.
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i];
    if (isOpening(token)) deepest = Math.max(deepest, ++depth);
    else if (isClosing(token)) depth = Math.max(0, depth - 1);
  }
  return deepest;
}

/** Index of the bracket that closes the group opened at `start`, or of the last token. */
function skipGroup(tokens: IToken[], start: number): number {
  let depth = 0;
  for (let i = start; i < tokens.length; i++) {
    if (isOpening(tokens[i])) depth++;
    else if (isClosing(tokens[i]) && --depth === 0) return i;
  }
  return tokens.length - 1;
}

function isOpening(token: IToken): boolean {
  const type = token.tokenType;
  return type === LParen || type === LBracket || type === LBrace;
}

function isClosing(token: IToken): boolean {
  const type = token.tokenType;
  return type === RParen || type === RBracket || type === RBrace;
}
