// The typed syntax tree of a `.nn` file. Every node carries its source range so that
// diagnostics, hover and the formatter can point at the text it came from.
//
// Recovery: the parser always returns a Program. Where a required piece is missing the
// tree holds a placeholder instead: an `Identifier` whose `name` is "" and `missing` is
// true, or an `ErrorExpr`. Later stages skip placeholders silently: the parser has
// already reported the syntax error behind them.

/** line and column are 1-based, the column counting code points; offset is 0-based in UTF-16 units. */
export interface Position {
  line: number;
  column: number;
  offset: number;
}

/** `end` is exclusive: the position just after the last character. */
export interface Range {
  start: Position;
  end: Position;
}

export interface NodeBase {
  range: Range;
}

export interface Identifier extends NodeBase {
  kind: "Identifier";
  name: string;
  /** true where recovery invented the name: the text holds none. */
  missing?: boolean;
}

export interface Comment extends NodeBase {
  kind: "Comment";
  /** The comment's full text, delimiters included: `// ...` or `/* ... *\/`. */
  text: string;
  block: boolean;
}

export interface Program extends NodeBase {
  kind: "Program";
  items: TopLevel[];
  comments: Comment[];
}

export type TopLevel = ConstDecl | BlockDecl | ModelDecl;

export interface ConstDecl extends NodeBase {
  kind: "Const";
  name: Identifier;
  value: Expr;
}

/** `block Name(arg: int, ...) { ... }`; `block Name { ... }` has no params. */
export interface BlockDecl extends NodeBase {
  kind: "Block";
  name: Identifier;
  params: BlockParam[];
  body: Statement[];
}

/** `hidden: int` — the type is optional (`int`, `float`, `bool`, ...). */
export interface BlockParam extends NodeBase {
  kind: "BlockParam";
  name: Identifier;
  type: Identifier | null;
}

export interface ModelDecl extends NodeBase {
  kind: "Model";
  name: Identifier;
  body: Statement[];
}

export type Statement =
  | ConstDecl
  | InputDecl
  | TargetDecl
  | Binding
  | OutputDecl
  | LossDecl
  | OptimizerDecl
  | TrainDecl;

/** `input x: [784]`, `input tokens: int(V)[T]` */
export interface InputDecl extends NodeBase {
  kind: "Input";
  name: Identifier;
  type: TypeExpr;
}

/** `target digit: int(10)` */
export interface TargetDecl extends NodeBase {
  kind: "Target";
  name: Identifier;
  type: TypeExpr;
}

/**
 * A tensor type: an optional element type and an optional shape.
 * `[784]`: float, shape [784]. `int(10)`: integers in 0..9, scalar. `int(V)[T]`: both.
 */
export interface TypeExpr extends NodeBase {
  kind: "Type";
  /** null means float. */
  elementType: ElementType | null;
  /** null means a scalar (shape []). */
  shape: ListExpr | null;
}

/** `int(V)`; the name is kept as written so that the checker can report an unknown one. */
export interface ElementType extends NodeBase {
  kind: "ElementType";
  name: Identifier;
  args: Expr[];
}

/** `h = expr` */
export interface Binding extends NodeBase {
  kind: "Binding";
  name: Identifier;
  value: Expr;
}

/** `output logits = expr` */
export interface OutputDecl extends NodeBase {
  kind: "Output";
  name: Identifier;
  value: Expr;
}

/** `loss softmax_cross_entropy(logits, digit)` */
export interface LossDecl extends NodeBase {
  kind: "Loss";
  value: Expr;
}

/** `optimizer adam(lr: 0.001)` */
export interface OptimizerDecl extends NodeBase {
  kind: "Optimizer";
  value: Expr;
}

/** `train { batch: 64, epochs: 10 }` */
export interface TrainDecl extends NodeBase {
  kind: "Train";
  entries: TrainEntry[];
}

export interface TrainEntry extends NodeBase {
  kind: "TrainEntry";
  key: Identifier;
  value: Expr;
}

export type Expr =
  | NumberLiteral
  | BoolLiteral
  | NameExpr
  | ListExpr
  | CallExpr
  | PipeExpr
  | BinaryExpr
  | UnaryExpr
  | ParenExpr
  | ErrorExpr;

export interface NumberLiteral extends NodeBase {
  kind: "Number";
  value: number;
  /** The literal as written (`1e-3`), for the formatter and for messages. */
  text: string;
  /** Written without a fraction or exponent. */
  integer: boolean;
}

export interface BoolLiteral extends NodeBase {
  kind: "Bool";
  value: boolean;
}

/** A bare word: a binding, const, input, shape variable, layer without parentheses (`relu`), or a word argument (`same`). */
export interface NameExpr extends NodeBase {
  kind: "Name";
  name: Identifier;
}

/** `[a, b]`: a shape, or a list argument. */
export interface ListExpr extends NodeBase {
  kind: "List";
  elements: Expr[];
}

/** `f(args)`. */
export interface CallExpr extends NodeBase {
  kind: "Call";
  callee: Identifier;
  args: Argument[];
}

/** A positional (`name` null) or named argument. */
export interface Argument extends NodeBase {
  kind: "Argument";
  name: Identifier | null;
  value: Expr;
}

/** `left |> right`: `right` is a CallExpr (`dense(10)`) or NameExpr (`relu`) applied to `left`. */
export interface PipeExpr extends NodeBase {
  kind: "Pipe";
  left: Expr;
  right: Expr;
}

export type BinaryOperator = "+" | "-" | "*" | "/";

export interface BinaryExpr extends NodeBase {
  kind: "Binary";
  op: BinaryOperator;
  left: Expr;
  right: Expr;
  /** The operator token's range. */
  opRange: Range;
}

export interface UnaryExpr extends NodeBase {
  kind: "Unary";
  op: "-";
  operand: Expr;
}

export interface ParenExpr extends NodeBase {
  kind: "Paren";
  expr: Expr;
}

/** Placeholder for an expression that the parser could not read. */
export interface ErrorExpr extends NodeBase {
  kind: "Error";
}

export type Node =
  | Program
  | TopLevel
  | Statement
  | BlockParam
  | TypeExpr
  | ElementType
  | TrainEntry
  | Expr
  | Argument
  | Identifier
  | Comment;
