// The diagnostic codes of the front end. The checker's codes start at NN0100.
export const SyntaxCode = {
  /** A character that starts no token: `#`, a NUL byte, a non-ASCII letter. */
  UnexpectedCharacter: "NN0001",
  /** A `/*` comment without its closing `*\/`. */
  UnterminatedComment: "NN0002",
  /** `1e`, `2x`, `1.5.3`. */
  MalformedNumber: "NN0003",
  /** The parser met a token the grammar does not allow there. */
  SyntaxError: "NN0004",
  /** Brackets nested deeper than the parser allows. */
  NestingTooDeep: "NN0005",
  /** `f(units: 8, he_normal)`: positional arguments come first. */
  PositionalAfterNamed: "NN0006",
  /** `train { batch: 4 epochs: 2 }`: entries on one line need a comma. */
  MissingSeparator: "NN0007",
  /** `int(n: 3)`: an element type takes positional arguments only. */
  NamedTypeArgument: "NN0008",
  /** A fault inside the parser itself, reported instead of thrown. */
  InternalError: "NN0099",
} as const;

export type SyntaxCode = (typeof SyntaxCode)[keyof typeof SyntaxCode];
