// The diagnostic codes of the front end, each with its one-line meaning (docs/language.md's
// table is generated from these and the checker's, compiler/diagnostic-codes.ts). The
// checker's codes start at NN1001. Codes are stable: a code is never reused for another meaning.

export interface SyntaxCodeInfo {
  code: string;
  title: string;
}

export const syntaxCodes = {
  UnexpectedCharacter: { code: "NN0001", title: "a character that starts no token (`#`, a NUL byte)" },
  UnterminatedComment: { code: "NN0002", title: "a `/*` comment without its closing `*/`" },
  MalformedNumber: { code: "NN0003", title: "a malformed number (`1e`, `2x`, `1.5.3`)" },
  SyntaxError: { code: "NN0004", title: "a token the grammar does not allow there" },
  NestingTooDeep: { code: "NN0005", title: "brackets nested, or operators chained, beyond the parser's limit" },
  PositionalAfterNamed: { code: "NN0006", title: "a positional argument after a named one" },
  MissingSeparator: { code: "NN0007", title: "two train entries on one line without a comma" },
  NamedTypeArgument: { code: "NN0008", title: "a named argument to an element type (`int(n: 3)`)" },
  InternalError: { code: "NN0099", title: "a fault inside the parser, reported instead of thrown" },
} as const satisfies Record<string, SyntaxCodeInfo>;

type SyntaxCodes = typeof syntaxCodes;

/** Each code by name (`SyntaxCode.SyntaxError` is "NN0004"), as the parser reports them. */
export const SyntaxCode = Object.fromEntries(Object.entries(syntaxCodes).map(([name, info]) => [name, info.code])) as {
  readonly [K in keyof SyntaxCodes]: SyntaxCodes[K]["code"];
};

export type SyntaxCode = (typeof SyntaxCode)[keyof typeof SyntaxCode];
