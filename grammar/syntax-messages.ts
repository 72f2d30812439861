// Human messages for Chevrotain's syntax errors: "expected ')' to close the call of 'dense'
// but found 'relu'" rather than "Expecting token of type --> RParen <--". The parser
// reads one top-level item at a time; `setInput` tells this provider which tokens that
// item holds, so that a message can name the bracket or declaration it is inside.
import type { IParserErrorMessageProvider, IToken, TokenType } from "chevrotain";
import { EOF, tokenLabel } from "./chevrotain.js";
import * as T from "./lexer.js";
import { LineIndex } from "./positions.js";

const MAX_QUOTED_LENGTH = 24;

export class SyntaxMessages implements IParserErrorMessageProvider {
  private tokens: IToken[] = [];
  /** The token after this item, where the parser sees its end of input; undefined at the end of the file. */
  private following: IToken | undefined;
  private lines = new LineIndex("");

  setInput(tokens: IToken[], following: IToken | undefined, lines: LineIndex): void {
    this.tokens = tokens;
    this.following = following;
    this.lines = lines;
  }

  buildMismatchTokenMessage(options: { expected: TokenType; actual: IToken; previous: IToken; ruleName: string }): string {
    const { expected, actual, previous } = options;
    const found = this.describeFound(actual);
    if (expected === T.RBrace && options.ruleName === "body" && actual.tokenType !== EOF) {
      // A stray token among statements: naming the '}' would mislead.
      if (isBinaryOperator(actual) && this.followsPipe(actual)) return pipeHint(actual);
      return `unexpected ${this.describe(actual)}`;
    }
    if (expected === T.RParen || expected === T.RBracket || expected === T.RBrace) {
      const opener = this.unclosedOpener(actual, expected);
      if (opener) return `expected ${tokenLabel(expected)} to close ${this.describeOpener(opener)} but ${found}`;
    }
    if (expected === T.Identifier && previous?.tokenType === T.Output && actual.tokenType === T.Equals) {
      return "expected a name after 'output' but found '=': an output is written 'output name = expression'";
    }
    if (expected === T.Identifier && isKeyword(actual)) {
      return `expected a name${after(previous)} but found '${actual.image}', which is a reserved word`;
    }
    if (expected === T.Equals && options.ruleName === "binding" && actual.tokenType === T.Identifier) {
      return `expected '=' after '${previous.image}' but found '${quote(actual.image)}': a statement is 'name = expression'`;
    }
    return `expected ${tokenLabel(expected)}${after(previous)} but ${found}`;
  }

  buildNotAllInputParsedMessage(options: { firstRedundant: IToken; ruleName: string }): string {
    return `unexpected ${this.describe(options.firstRedundant)}`;
  }

  buildNoViableAltMessage(options: {
    expectedPathsPerAlt: TokenType[][][];
    actual: IToken[];
    previous: IToken;
    customUserDescription?: string;
    ruleName: string;
  }): string {
    const actual = options.actual[0];
    const found = this.describeFound(actual);
    const previous = options.previous;
    switch (options.ruleName) {
      case "topLevel":
        return `expected 'model', 'block' or 'const' at the top level but ${found}`;
      case "statement":
        if (isBinaryOperator(actual) && this.followsPipe(actual)) return pipeHint(actual);
        return `expected a statement (input, target, output, loss, optimizer, train, const or 'name = ...') but ${found}`;
      case "typeExpr":
        return `expected a type such as '[784]', 'int(10)' or 'int(V)[T]'${after(previous)} but ${found}`;
      case "operand":
        return `expected an expression${after(previous)} but ${found}`;
      default:
        return `unexpected ${this.describe(actual)}`;
    }
  }

  buildEarlyExitMessage(options: { actual: IToken[]; previous: IToken; ruleName: string }): string {
    return `unexpected ${this.describe(options.actual[0])}`;
  }

  private describeFound(token: IToken): string {
    if (token.tokenType === EOF && !this.following) return "reached the end of the file";
    return `found ${this.describe(token)}`;
  }

  private describe(token: IToken): string {
    if (token.tokenType === EOF) return this.following ? `'${quote(this.following.image)}'` : "the end of the file";
    if (token.tokenType === T.TooDeep) return "a nested expression";
    return `'${quote(token.image)}'`;
  }

  /** The bracket of `closer`'s kind still open where `actual` stands. */
  private unclosedOpener(actual: IToken, closer: TokenType): IToken | undefined {
    const opener = closer === T.RParen ? T.LParen : closer === T.RBracket ? T.LBracket : T.LBrace;
    let index = actual.tokenType === EOF ? this.tokens.length : this.indexOf(actual);
    let depth = 0;
    while (--index >= 0) {
      const type = this.tokens[index].tokenType;
      if (type === closer) depth++;
      else if (type === opener && depth-- === 0) return this.tokens[index];
    }
    return undefined;
  }

  private describeOpener(opener: IToken): string {
    const index = this.indexOf(opener);
    const before = this.tokens[index - 1];
    if (opener.tokenType === T.LParen) {
      const keyword = this.tokens[index - 2];
      if (before?.tokenType === T.Identifier && keyword?.tokenType === T.Block) {
        return `the parameters of block '${quote(before.image)}'`;
      }
      return before?.tokenType === T.Identifier ? `the call of '${quote(before.image)}'` : `the '(' at ${this.where(opener)}`;
    }
    if (opener.tokenType === T.LBracket) return `the list at ${this.where(opener)}`;
    if (before?.tokenType === T.Train) return "'train {'";
    for (let i = index - 1; i >= 0; i--) {
      const type = this.tokens[i].tokenType;
      if (type === T.Model || type === T.Block) {
        const name = this.tokens[i + 1];
        const word = type === T.Model ? "model" : "block";
        return name?.tokenType === T.Identifier ? `${word} '${name.image}'` : word;
      }
    }
    return `the '{' at ${this.where(opener)}`;
  }

  /** True when `token` follows a `|>` of the same statement, outside any bracket. */
  private followsPipe(token: IToken): boolean {
    let depth = 0;
    for (let i = this.indexOf(token) - 1; i >= 0; i--) {
      const type = this.tokens[i].tokenType;
      if (type === T.RParen || type === T.RBracket) depth++;
      else if (type === T.LParen || type === T.LBracket) depth--;
      else if (depth === 0 && type === T.Pipe) return true;
      else if (depth === 0 && (type === T.Equals || type === T.LBrace || isKeyword(this.tokens[i]))) return false;
    }
    return false;
  }

  private where(token: IToken): string {
    const position = this.lines.position(token.startOffset);
    return `${position.line}:${position.column}`;
  }

  private indexOf(token: IToken): number {
    // Tokens are in source order, so a binary search on the offset finds it.
    let low = 0;
    let high = this.tokens.length - 1;
    while (low <= high) {
      const mid = (low + high) >> 1;
      const offset = this.tokens[mid].startOffset;
      if (offset === token.startOffset) return mid;
      if (offset < token.startOffset) low = mid + 1;
      else high = mid - 1;
    }
    return this.tokens.length;
  }
}

function pipeHint(operator: IToken): string {
  return `unexpected '${operator.image}': '|>' binds loosest, so write '(a |> f) ${operator.image} b'`;
}

function isKeyword(token: IToken): boolean {
  return T.keywords.includes(token.tokenType);
}

function isBinaryOperator(token: IToken): boolean {
  const type = token.tokenType;
  return type === T.Plus || type === T.Minus || type === T.Star || type === T.Slash;
}

function after(previous: IToken | undefined): string {
  if (!previous || previous.tokenType === EOF || Number.isNaN(previous.startOffset) || !previous.image) return "";
  return ` after '${quote(previous.image)}'`;
}

function quote(image: string): string {
  return image.length > MAX_QUOTED_LENGTH ? `${image.slice(0, MAX_QUOTED_LENGTH)}...` : image;
}
