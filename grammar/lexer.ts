// The tokens of `.nn`. Statement words (`model`, `input`, `loss`, ...) are reserved;
// library words (`relu`, `same`, `dense`) are plain identifiers, so a model may name a
// binding `same`. Comments are kept in their own group for the formatter and
// Program.comments; whitespace, newlines included, carries no meaning.
import { createToken, Lexer, type ILexingError, type IToken, type TokenType } from "chevrotain";

export const Identifier = createToken({ name: "Identifier", pattern: /[A-Za-z_][A-Za-z0-9_]*/, label: "a name" });

function keyword(word: string): TokenType {
  const name = word[0].toUpperCase() + word.slice(1);
  return createToken({ name, pattern: new RegExp(word), longer_alt: Identifier, label: `'${word}'` });
}

export const Const = keyword("const");
export const Block = keyword("block");
export const Model = keyword("model");
export const Input = keyword("input");
export const Target = keyword("target");
export const Output = keyword("output");
export const Loss = keyword("loss");
export const Optimizer = keyword("optimizer");
export const Train = keyword("train");
export const True = keyword("true");
export const False = keyword("false");

export const keywords: readonly TokenType[] = [
  Const, Block, Model, Input, Target, Output, Loss, Optimizer, Train, True, False,
];

/**
 * Deliberately greedy: `1e`, `2x` and `1.5.3` lex as one malformed number, which the
 * parser reports as such, instead of as a number glued to a name.
 */
export const NumberLiteral = createToken({
  name: "Number",
  pattern: /(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d*)?[A-Za-z0-9_.]*/,
  label: "a number",
});

/** What a well-formed number looks like; anything else NumberLiteral matched is malformed. */
export const wellFormedNumber = /^(?:\d+(?:\.\d+)?|\.\d+)(?:[eE][+-]?\d+)?$/;

export const Pipe = createToken({ name: "Pipe", pattern: /\|>/, label: "'|>'" });
export const Plus = createToken({ name: "Plus", pattern: /\+/, label: "'+'" });
export const Minus = createToken({ name: "Minus", pattern: /-/, label: "'-'" });
export const Star = createToken({ name: "Star", pattern: /\*/, label: "'*'" });
export const Slash = createToken({ name: "Slash", pattern: /\//, label: "'/'" });
export const LParen = createToken({ name: "LParen", pattern: /\(/, label: "'('" });
export const RParen = createToken({ name: "RParen", pattern: /\)/, label: "')'" });
export const LBracket = createToken({ name: "LBracket", pattern: /\[/, label: "'['" });
export const RBracket = createToken({ name: "RBracket", pattern: /]/, label: "']'" });
export const LBrace = createToken({ name: "LBrace", pattern: /{/, label: "'{'" });
export const RBrace = createToken({ name: "RBrace", pattern: /}/, label: "'}'" });
export const Comma = createToken({ name: "Comma", pattern: /,/, label: "','" });
export const Colon = createToken({ name: "Colon", pattern: /:/, label: "':'" });
export const Equals = createToken({ name: "Equals", pattern: /=/, label: "'='" });

export const LineComment = createToken({ name: "LineComment", pattern: /\/\/[^\r\n]*/, group: "comments" });
export const BlockComment = createToken({
  name: "BlockComment",
  pattern: /\/\*[\s\S]*?\*\//,
  line_breaks: true,
  group: "comments",
});
/** A `/*` that never closes: kept as a comment to the end of the file, and reported. */
export const UnterminatedComment = createToken({
  name: "UnterminatedComment",
  pattern: /\/\*[\s\S]*/,
  line_breaks: true,
  group: "comments",
});

const WhiteSpace = createToken({ name: "WhiteSpace", pattern: /[ \t\r\n\f\v]+/, group: Lexer.SKIPPED, line_breaks: true });

/**
 * Not produced by the lexer: the nesting guard replaces a group of brackets nested too deep
 * with one token of this type, which the parser reads as an expression placeholder.
 */
export const TooDeep = createToken({ name: "TooDeep", pattern: Lexer.NA, label: "a nested expression" });

const allTokens: TokenType[] = [
  WhiteSpace,
  LineComment,
  BlockComment,
  UnterminatedComment,
  Pipe,
  ...keywords,
  Identifier,
  NumberLiteral,
  Plus,
  Minus,
  Star,
  Slash,
  LParen,
  RParen,
  LBracket,
  RBracket,
  LBrace,
  RBrace,
  Comma,
  Colon,
  Equals,
];

/** The parser's vocabulary: every token type it may meet. */
export const parserTokens: TokenType[] = [...allTokens, TooDeep];

// Lines and columns are computed from offsets (positions.ts), but only "full" tracking
// gives tokens their end offsets, which the parser's node locations are built from.
const lexer = new Lexer(allTokens, { positionTracking: "full", ensureOptimizations: true });

export interface LexResult {
  /** The tokens the parser reads: no comments, no whitespace. */
  tokens: IToken[];
  comments: IToken[];
  errors: ILexingError[];
}

export function lex(text: string): LexResult {
  // A byte order mark at the very start is not content. Replacing it with a space keeps
  // every offset pointing into the caller's text.
  const source = text.charCodeAt(0) === 0xfeff ? " " + text.slice(1) : text;
  const result = lexer.tokenize(source);
  const comments = (result.groups.comments ?? []) as IToken[];
  return { tokens: result.tokens, comments, errors: result.errors };
}
