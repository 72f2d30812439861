// The grammar of `.nn` as a Chevrotain CST parser, one method per rule, building the compact
// concrete tree of cst.ts. Error recovery is on: a rule that fails still yields the part of
// its tree read so far, which cst-to-ast.ts turns into a partial syntax tree with placeholders.
//
// Expressions, loosest first: `|>` (left-associative, its right side a layer name or call),
// `+ -`, `* /`, unary `-`, then literals, names, calls, lists and parentheses.
//
// Recovery is line-aware. Chevrotain resumes after an error at the first token that may
// follow the broken rule; in `h = x |> dense(4 relu` that is `relu`, which may start a
// binding, and a second, bogus error follows. Statements are written one per line, so a
// word that starts a statement is taken as a resumption point only at the start of a line.
import type { IOrAlt, IParserErrorMessageProvider, IRecognitionException, IToken, TokenType } from "chevrotain";
import { CstParser, EOF, MismatchedTokenException, tokenMatcher } from "./chevrotain.js";
import { SyntaxNode } from "./cst.js";
import * as T from "./lexer.js";

const statementStarters: ReadonlySet<TokenType> = new Set([
  T.Identifier, T.Const, T.Input, T.Target, T.Output, T.Loss, T.Optimizer, T.Train,
]);

/** The parts of Chevrotain's recovery machinery that the line-aware recovery builds on. */
interface RecoveryInternals {
  LA(k: number): IToken;
  LA_FAST(k: number): IToken;
  SKIP_TOKEN(): IToken;
  exportLexerState(): number;
  importLexerState(state: number): void;
  flattenFollowSet(): TokenType[];
  SAVE_ERROR(error: IRecognitionException): void;
  getCurrRuleFullName(): string;
  errorMessageProvider: IParserErrorMessageProvider;
  RULE_STACK: number[];
  RULE_STACK_IDX: number;
  RULE_OCCURRENCE_STACK: number[];
  RULE_OCCURRENCE_STACK_IDX: number;
}

/** Chevrotain's stack of the nodes under construction, one per rule being read. */
interface TreeBuilderInternals {
  CST_STACK: SyntaxNode[];
}

/**
 * The labels the grammar gives, each made once: an options object written at a CONSUME or
 * SUBRULE would be allocated at every call.
 */
const label = {
  name: { LABEL: "name" },
  type: { LABEL: "type" },
  value: { LABEL: "value" },
  shape: { LABEL: "shape" },
  key: { LABEL: "key" },
  operator: { LABEL: "operator" },
  callee: { LABEL: "callee" },
  inner: { LABEL: "inner" },
  element: { LABEL: "element" },
} as const;

type FollowsForInRuleRecovery = (expected: TokenType, indexInRule: number) => TokenType[];

export class NeuronParser extends CstParser {
  constructor(messages: IParserErrorMessageProvider) {
    super(T.parserTokens, {
      recoveryEnabled: true,
      maxLookahead: 2,
      nodeLocationTracking: "onlyOffset",
      errorMessageProvider: messages,
    });
    this.performSelfAnalysis();
  }

  // Each alternation's list of alternatives, built once instead of at every call, as
  // Chevrotain's performance guide advises: the lists were a tenth of what a parse allocated.
  private topLevelAlternatives?: IOrAlt<unknown>[];
  private statementAlternatives?: IOrAlt<unknown>[];
  private typeAlternatives?: IOrAlt<unknown>[];
  private operatorAlternatives?: IOrAlt<unknown>[];
  private operandAlternatives?: IOrAlt<unknown>[];

  /**
   * How to find the tokens that are first on their line; parse.ts sets it with each new
   * input. Only recovery asks, so most inputs never pay for the answer.
   */
  findLineStartsWith(find: () => ReadonlySet<IToken>): void {
    this.findLineStarts = find;
    this.foundLineStarts = undefined;
  }

  /** Reads one top-level item from the current input; undefined when Chevrotain gave up at its first token. */
  readTopLevel(): SyntaxNode | undefined {
    return this.topLevel() as unknown as SyntaxNode | undefined;
  }

  // Chevrotain's tree-builder hooks, replaced to build cst.ts's nodes. Chevrotain calls them
  // as before, for partial nodes during recovery too, so each node holds what its own would.
  cstInvocationStateUpdate(): void {
    (this as unknown as TreeBuilderInternals).CST_STACK.push(new SyntaxNode());
  }

  cstPostTerminal(key: string, consumed: IToken): void {
    const stack = (this as unknown as TreeBuilderInternals).CST_STACK;
    stack[stack.length - 1]!.add(key, consumed);
  }

  cstPostNonTerminal(child: SyntaxNode, key: string): void {
    const stack = (this as unknown as TreeBuilderInternals).CST_STACK;
    stack[stack.length - 1]!.add(key, child);
  }

  private findLineStarts: () => ReadonlySet<IToken> = () => new Set();
  private foundLineStarts: ReadonlySet<IToken> | undefined;

  private get internals(): RecoveryInternals {
    return this as unknown as RecoveryInternals;
  }

  private canResumeAt(token: IToken): boolean {
    if (!statementStarters.has(token.tokenType)) return true;
    this.foundLineStarts ??= this.findLineStarts();
    return this.foundLineStarts.has(token);
  }

  private readonly followsCache = new Map<string, TokenType[]>();

  /**
   * Chevrotain's method, memoised: it walks the grammar to find what may follow the token
   * expected at the current place, once per syntax error, and that walk was most of the
   * time spent on a broken file. The answer depends only on the place: the rule stack.
   */
  getFollowsForInRuleRecovery(expected: TokenType, indexInRule: number): TokenType[] {
    const parser = this.internals;
    const rules = parser.RULE_STACK.slice(0, parser.RULE_STACK_IDX + 1).join(",");
    const occurrences = parser.RULE_OCCURRENCE_STACK.slice(0, parser.RULE_OCCURRENCE_STACK_IDX + 1).join(",");
    const key = `${rules}|${occurrences}|${expected.tokenTypeIdx}|${indexInRule}`;
    let follows = this.followsCache.get(key);
    if (!follows) {
      const compute = CstParser.prototype["getFollowsForInRuleRecovery" as keyof InstanceType<typeof CstParser>] as unknown as FollowsForInRuleRecovery;
      follows = compute.call(this, expected, indexInRule);
      this.followsCache.set(key, follows);
    }
    return follows;
  }

  /**
   * Chevrotain's method, made line-aware: inventing the missing token (the `)` of
   * `dense(4 relu`) is right only if what follows can go on from there, and a statement's
   * first word in the middle of a line is more likely a stray word than the next statement.
   */
  canRecoverWithSingleTokenInsertion(_expected: TokenType, follows: TokenType[]): boolean {
    const next = this.internals.LA_FAST(1);
    if (!this.canResumeAt(next)) return false;
    return follows.some((type) => tokenMatcher(next, type));
  }

  /** Chevrotain's method, made line-aware: the token type to resume at. */
  findReSyncTokenType(): TokenType {
    // The grammar has no token categories, so a token matches a type by its index alone.
    const follows = new Map(this.internals.flattenFollowSet().map((type) => [type.tokenTypeIdx, type]));
    for (let k = 1; ; k++) {
      const next = this.internals.LA(k);
      if (next.tokenType === EOF) return EOF;
      const match = follows.get(next.tokenTypeIdx);
      if (match && this.canResumeAt(next)) return match;
    }
  }

  /** Chevrotain's method, made line-aware: skips to the resumption point. */
  reSyncTo(type: TokenType): IToken[] {
    const skipped: IToken[] = [];
    let next = this.internals.LA_FAST(1);
    while (!(tokenMatcher(next, type) && this.canResumeAt(next)) && next.tokenType !== EOF) {
      next = this.internals.SKIP_TOKEN();
      if (next.tokenType !== EOF) skipped.push(next);
    }
    return skipped.slice(0, -1);
  }

  /**
   * Chevrotain's recovery inside a repetition (a statement list), made line-aware: skip
   * tokens until one that may start another statement at the start of a line, or the token
   * expected after the list; report the error, and resume.
   */
  tryInRepetitionRecovery(
    rule: (...args: unknown[]) => void,
    args: unknown[],
    lookahead: () => boolean,
    expected: TokenType,
  ): void {
    const parser = this.internals;
    const resyncType = this.findReSyncTokenType();
    const savedState = parser.exportLexerState();
    const unexpected = parser.LA_FAST(1);
    const reportError = (): void => {
      const previous = parser.LA(0);
      const message = parser.errorMessageProvider.buildMismatchTokenMessage({
        expected,
        actual: unexpected,
        previous,
        ruleName: parser.getCurrRuleFullName(),
      });
      parser.SAVE_ERROR(new MismatchedTokenException(message, unexpected, previous));
    };
    let current = unexpected;
    for (;;) {
      if (tokenMatcher(current, expected)) {
        reportError();
        return;
      }
      if (this.canResumeAt(current) && lookahead.call(this)) {
        reportError();
        rule.apply(this, args);
        return;
      }
      if (tokenMatcher(current, resyncType) && this.canResumeAt(current)) break;
      if (current.tokenType === EOF) break;
      current = parser.SKIP_TOKEN();
    }
    // No closer point to resume at: the error surfaces at the next step, where the
    // recovery between rules handles it.
    parser.importLexerState(savedState);
  }

  /** One top-level item; parse.ts splits a file into items (see splitTopLevel there). */
  public topLevel = this.RULE("topLevel", () => {
    this.OR((this.topLevelAlternatives ??= [
      { ALT: () => this.SUBRULE(this.constDecl) },
      { ALT: () => this.SUBRULE(this.blockDecl) },
      { ALT: () => this.SUBRULE(this.modelDecl) },
    ]));
  });

  private constDecl = this.RULE("constDecl", () => {
    this.CONSUME(T.Const);
    this.CONSUME(T.Identifier, label.name);
    this.CONSUME(T.Equals);
    this.SUBRULE(this.expression, label.value);
  });

  private blockDecl = this.RULE("blockDecl", () => {
    this.CONSUME(T.Block);
    this.CONSUME(T.Identifier, label.name);
    this.OPTION(() => {
      this.CONSUME(T.LParen);
      this.OPTION2(() => {
        this.SUBRULE(this.blockParam);
        this.MANY(() => {
          this.CONSUME(T.Comma);
          this.SUBRULE2(this.blockParam);
        });
        this.OPTION3(() => this.CONSUME2(T.Comma));
      });
      this.CONSUME(T.RParen);
    });
    this.SUBRULE(this.body);
  });

  private blockParam = this.RULE("blockParam", () => {
    this.CONSUME(T.Identifier, label.name);
    this.OPTION(() => {
      this.CONSUME(T.Colon);
      this.CONSUME2(T.Identifier, label.type);
    });
  });

  private modelDecl = this.RULE("modelDecl", () => {
    this.CONSUME(T.Model);
    this.CONSUME(T.Identifier, label.name);
    this.SUBRULE(this.body);
  });

  private body = this.RULE("body", () => {
    this.CONSUME(T.LBrace);
    this.MANY(() => this.SUBRULE(this.statement));
    this.CONSUME(T.RBrace);
  });

  private statement = this.RULE("statement", () => {
    this.OR((this.statementAlternatives ??= [
      { ALT: () => this.SUBRULE(this.constDecl) },
      { ALT: () => this.SUBRULE(this.inputDecl) },
      { ALT: () => this.SUBRULE(this.targetDecl) },
      { ALT: () => this.SUBRULE(this.binding) },
      { ALT: () => this.SUBRULE(this.outputDecl) },
      { ALT: () => this.SUBRULE(this.lossDecl) },
      { ALT: () => this.SUBRULE(this.optimizerDecl) },
      { ALT: () => this.SUBRULE(this.trainDecl) },
    ]));
  });

  private inputDecl = this.RULE("inputDecl", () => {
    this.CONSUME(T.Input);
    this.CONSUME(T.Identifier, label.name);
    this.CONSUME(T.Colon);
    this.SUBRULE(this.typeExpr);
  });

  private targetDecl = this.RULE("targetDecl", () => {
    this.CONSUME(T.Target);
    this.CONSUME(T.Identifier, label.name);
    this.CONSUME(T.Colon);
    this.SUBRULE(this.typeExpr);
  });

  /** `[784]`, `int(10)`, `int(V)[T]`. */
  private typeExpr = this.RULE("typeExpr", () => {
    this.OR((this.typeAlternatives ??= [
      {
        ALT: () => {
          this.SUBRULE(this.elementType);
          this.OPTION(() => this.SUBRULE(this.list, label.shape));
        },
      },
      { ALT: () => this.SUBRULE2(this.list, label.shape) },
    ]));
  });

  private elementType = this.RULE("elementType", () => {
    this.CONSUME(T.Identifier, label.name);
    this.OPTION(() => this.SUBRULE(this.callArguments));
  });

  private binding = this.RULE("binding", () => {
    this.CONSUME(T.Identifier, label.name);
    this.CONSUME(T.Equals);
    this.SUBRULE(this.expression, label.value);
  });

  private outputDecl = this.RULE("outputDecl", () => {
    this.CONSUME(T.Output);
    this.CONSUME(T.Identifier, label.name);
    this.CONSUME(T.Equals);
    this.SUBRULE(this.expression, label.value);
  });

  private lossDecl = this.RULE("lossDecl", () => {
    this.CONSUME(T.Loss);
    this.SUBRULE(this.expression, label.value);
  });

  private optimizerDecl = this.RULE("optimizerDecl", () => {
    this.CONSUME(T.Optimizer);
    this.SUBRULE(this.expression, label.value);
  });

  /** Entries are separated by commas or line breaks; cst-to-ast.ts checks the latter. */
  private trainDecl = this.RULE("trainDecl", () => {
    this.CONSUME(T.Train);
    this.CONSUME(T.LBrace);
    this.MANY(() => {
      this.SUBRULE(this.trainEntry);
      this.OPTION(() => this.CONSUME(T.Comma));
    });
    this.CONSUME(T.RBrace);
  });

  private trainEntry = this.RULE("trainEntry", () => {
    this.CONSUME(T.Identifier, label.key);
    this.CONSUME(T.Colon);
    this.SUBRULE(this.expression, label.value);
  });

  /**
   * `operand (op operand)* (|> target)*`. The operators' precedence (`*` `/` over `+` `-`)
   * is resolved in cst-to-ast.ts: a rule per precedence level would cost every operand
   * two more rule calls and CST nodes, which dominate the parser's time.
   */
  public expression = this.RULE("expression", () => {
    this.SUBRULE(this.operand);
    this.MANY(this.operatorThenOperand);
    this.MANY2(this.pipeThenTarget);
  });

  // From here on, the bodies of repetitions and options are written once, as fields, rather
  // than inline: these rules are read for every expression, operand and argument, and an
  // inline arrow is a new function object at every call (a tenth of what a parse allocated).

  private readonly operatorThenOperand = (): void => {
    this.OR((this.operatorAlternatives ??= [
      { ALT: () => this.CONSUME(T.Plus, label.operator) },
      { ALT: () => this.CONSUME(T.Minus, label.operator) },
      { ALT: () => this.CONSUME(T.Star, label.operator) },
      { ALT: () => this.CONSUME(T.Slash, label.operator) },
    ]));
    this.SUBRULE2(this.operand);
  };

  private readonly pipeThenTarget = (): void => {
    this.CONSUME(T.Pipe);
    this.SUBRULE(this.pipeTarget);
  };

  /** The right side of `|>`: a layer name (`relu`) or call (`dense(10)`). */
  private pipeTarget = this.RULE("pipeTarget", () => {
    this.CONSUME(T.Identifier, label.callee);
    this.OPTION(this.pipeTargetArguments);
  });

  private readonly pipeTargetArguments = (): void => {
    this.SUBRULE(this.callArguments);
  };

  /** Unary minus signs (a loop, not recursion), then a literal, name, call, list or `( )`. */
  private operand = this.RULE("operand", () => {
    this.MANY(this.minusSign);
    this.OR((this.operandAlternatives ??= [
      { ALT: () => this.CONSUME(T.NumberLiteral) },
      { ALT: () => this.CONSUME(T.True) },
      { ALT: () => this.CONSUME(T.False) },
      {
        ALT: () => {
          this.CONSUME(T.Identifier, label.name);
          this.OPTION(this.operandArguments);
        },
      },
      { ALT: () => this.SUBRULE(this.list) },
      {
        ALT: () => {
          this.CONSUME(T.LParen);
          this.SUBRULE(this.expression, label.inner);
          this.CONSUME(T.RParen);
        },
      },
      { ALT: () => this.CONSUME(T.TooDeep) },
    ]));
  });

  private readonly minusSign = (): void => {
    this.CONSUME(T.Minus);
  };

  private readonly operandArguments = (): void => {
    this.SUBRULE(this.callArguments);
  };

  private callArguments = this.RULE("callArguments", () => {
    this.CONSUME(T.LParen);
    this.OPTION(this.argumentList);
    this.CONSUME(T.RParen);
  });

  private readonly argumentList = (): void => {
    this.SUBRULE(this.argument);
    this.MANY(this.commaThenArgument);
    this.OPTION2(this.trailingArgumentComma);
  };

  private readonly commaThenArgument = (): void => {
    this.CONSUME(T.Comma);
    this.SUBRULE2(this.argument);
  };

  private readonly trailingArgumentComma = (): void => {
    this.CONSUME2(T.Comma);
  };

  private argument = this.RULE("argument", () => {
    this.OPTION(this.argumentName);
    this.SUBRULE(this.expression, label.value);
  });

  private readonly argumentName = (): void => {
    this.CONSUME(T.Identifier, label.name);
    this.CONSUME(T.Colon);
  };

  private list = this.RULE("list", () => {
    this.CONSUME(T.LBracket);
    this.OPTION(this.elementList);
    this.CONSUME(T.RBracket);
  });

  private readonly elementList = (): void => {
    this.SUBRULE(this.expression, label.element);
    this.MANY(this.commaThenElement);
    this.OPTION2(this.trailingElementComma);
  };

  private readonly commaThenElement = (): void => {
    this.CONSUME(T.Comma);
    this.SUBRULE2(this.expression, label.element);
  };

  private readonly trailingElementComma = (): void => {
    this.CONSUME2(T.Comma);
  };
}
