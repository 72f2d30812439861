// The tokens of `.nn`. Statement words (`model`, `input`, `loss`, ...) are reserved;
// library words (`relu`, `same`, `dense`) are plain identifiers, so a model may name a
// binding `same`. Comments are kept in their own group for the formatter and
// Program.comments; whitespace, newlines included, carries no meaning.
import type { TokenType } from "chevrotain";
import { createToken, Lexer } from "./chevrotain.js";

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

export const WhiteSpace = createToken({ name: "WhiteSpace", pattern: /[ \t\r\n\f\v]+/, group: Lexer.SKIPPED, line_breaks: true });

/**
 * Not produced by the lexer: the nesting guard replaces a group of brackets nested too deep
 * with one token of this type, which the parser reads as an expression placeholder.
 */
export const TooDeep = createToken({ name: "TooDeep", pattern: Lexer.NA, label: "a nested expression" });

/**
 * The token patterns in order of precedence, as a Chevrotain Lexer definition. Text is
 * read by the hand-written scanner in scanner.ts; these patterns stay its specification,
 * and test/grammar/scanner.test.ts checks the scanner against a Lexer built from them.
 */
export const lexerDefinition: readonly TokenType[] = [
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
export const parserTokens: TokenType[] = [...lexerDefinition, TooDeep];
