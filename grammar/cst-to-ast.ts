// Turns the parser's concrete syntax tree (cst.ts) into the typed tree of ast.ts. After error
// recovery a CST node may lack any child, or hold a token Chevrotain invented (no offsets);
// every such gap becomes a placeholder (a missing Identifier or an ErrorExpr) with an empty
// range just after the last real token read, so later stages always get a complete shape.
//
// A few rules are simpler to check here than to encode in the grammar: malformed numbers,
// positional arguments after named ones, and commas between `train` entries on one line.
import type { IToken } from "chevrotain";
import type * as Ast from "./ast.js";
import type { Diagnostic } from "./diagnostics.js";
import { firstChild, node, nodes, SyntaxNode, token, tokens } from "./cst.js";
import * as T from "./lexer.js";
import { MAX_CHAIN_LENGTH } from "./nesting.js";
import type { LineIndex } from "./positions.js";
import { SyntaxCode } from "./syntax-codes.js";

export class AstBuilder {
  /** End offset (exclusive) of the last real token read: where placeholders go. */
  private cursor = 0;

  constructor(
    private readonly lines: LineIndex,
    private readonly report: (d: Diagnostic) => void,
  ) {}

  /** Moves past an item that was not built here (parse.ts reused it), as if its tokens had been read. */
  skipTo(offset: number): void {
    this.cursor = Math.max(this.cursor, offset);
  }

  /** undefined when the item holds nothing recognisable (the parser has reported why). */
  topLevel(cst: SyntaxNode | undefined): Ast.TopLevel | undefined {
    if (!cst) return undefined;
    const constDecl = node(cst, "constDecl");
    if (constDecl) return this.constDecl(constDecl);
    const blockDecl = node(cst, "blockDecl");
    if (blockDecl) return this.blockDecl(blockDecl);
    const modelDecl = node(cst, "modelDecl");
    if (modelDecl) return this.modelDecl(modelDecl);
    return undefined;
  }

  private constDecl(cst: SyntaxNode): Ast.ConstDecl {
    this.advance(token(cst, "Const"));
    const name = this.identifier(token(cst, "name"));
    this.advance(token(cst, "Equals"));
    const value = this.expression(node(cst, "value"));
    return { kind: "Const", name, value, range: this.rangeOf(cst) };
  }

  private blockDecl(cst: SyntaxNode): Ast.BlockDecl {
    this.advance(token(cst, "Block"));
    const name = this.identifier(token(cst, "name"));
    const params = nodes(cst, "blockParam").map((p) => this.blockParam(p));
    return { kind: "Block", name, params, body: this.body(node(cst, "body")), range: this.rangeOf(cst) };
  }

  private blockParam(cst: SyntaxNode): Ast.BlockParam {
    const name = this.identifier(token(cst, "name"));
    this.advance(token(cst, "Colon"));
    const type = token(cst, "type") || token(cst, "Colon") ? this.identifier(token(cst, "type")) : null;
    return { kind: "BlockParam", name, type, range: this.rangeOf(cst, name) };
  }

  private modelDecl(cst: SyntaxNode): Ast.ModelDecl {
    this.advance(token(cst, "Model"));
    const name = this.identifier(token(cst, "name"));
    return { kind: "Model", name, body: this.body(node(cst, "body")), range: this.rangeOf(cst) };
  }

  private body(cst: SyntaxNode | undefined): Ast.Statement[] {
    if (!cst) return [];
    this.advance(token(cst, "LBrace"));
    const statements: Ast.Statement[] = [];
    for (const statement of nodes(cst, "statement")) {
      const built = this.statement(statement);
      if (built) statements.push(built);
    }
    this.advance(token(cst, "RBrace"));
    return statements;
  }

  private statement(cst: SyntaxNode): Ast.Statement | undefined {
    const [key, child] = firstChild(cst) ?? ["", undefined];
    if (!(child instanceof SyntaxNode)) return undefined;
    switch (key) {
      case "constDecl":
        return this.constDecl(child);
      case "inputDecl":
      case "targetDecl": {
        this.advance(token(child, key === "inputDecl" ? "Input" : "Target"));
        const name = this.identifier(token(child, "name"));
        this.advance(token(child, "Colon"));
        const type = this.typeExpr(node(child, "typeExpr"));
        const kind = key === "inputDecl" ? "Input" : "Target";
        return { kind, name, type, range: this.rangeOf(child) };
      }
      case "binding":
      case "outputDecl": {
        this.advance(token(child, "Output"));
        const name = this.identifier(token(child, "name"));
        this.advance(token(child, "Equals"));
        const value = this.expression(node(child, "value"));
        const kind = key === "binding" ? "Binding" : "Output";
        return { kind, name, value, range: this.rangeOf(child) };
      }
      case "lossDecl":
      case "optimizerDecl": {
        this.advance(token(child, key === "lossDecl" ? "Loss" : "Optimizer"));
        const value = this.expression(node(child, "value"));
        const kind = key === "lossDecl" ? "Loss" : "Optimizer";
        return { kind, value, range: this.rangeOf(child) };
      }
      case "trainDecl":
        return this.trainDecl(child);
      default:
        return undefined;
    }
  }

  private trainDecl(cst: SyntaxNode): Ast.TrainDecl {
    this.advance(token(cst, "Train"));
    this.advance(token(cst, "LBrace"));
    const entries = nodes(cst, "trainEntry").map((e) => this.trainEntry(e));
    const commas = tokens(cst, "Comma").filter(isReal);
    for (let i = 1; i < entries.length; i++) {
      const previousEnd = entries[i - 1].range.end.offset;
      const nextStart = entries[i].range.start.offset;
      const separated =
        commas.some((c) => c.startOffset >= previousEnd && c.startOffset < nextStart) ||
        this.lines.lineBreakBetween(previousEnd, nextStart);
      if (!separated) {
        this.diagnose(SyntaxCode.MissingSeparator, `expected ',' between train settings on one line`, entries[i].range);
      }
    }
    this.advance(token(cst, "RBrace"));
    return { kind: "Train", entries, range: this.rangeOf(cst) };
  }

  private trainEntry(cst: SyntaxNode): Ast.TrainEntry {
    const key = this.identifier(token(cst, "key"));
    this.advance(token(cst, "Colon"));
    const value = this.expression(node(cst, "value"));
    return { kind: "TrainEntry", key, value, range: this.rangeOf(cst) };
  }

  private typeExpr(cst: SyntaxNode | undefined): Ast.TypeExpr {
    if (!cst) return { kind: "Type", elementType: null, shape: null, range: this.here() };
    const elementCst = node(cst, "elementType");
    const elementType = elementCst ? this.elementType(elementCst) : null;
    const shapeCst = node(cst, "shape");
    const shape = shapeCst ? this.list(shapeCst) : null;
    return { kind: "Type", elementType, shape, range: this.rangeOf(cst) };
  }

  private elementType(cst: SyntaxNode): Ast.ElementType {
    const name = this.identifier(token(cst, "name"));
    const argumentsCst = node(cst, "callArguments");
    const args = argumentsCst ? this.callArguments(argumentsCst) : [];
    for (const arg of args) {
      if (arg.name) {
        const message = `'${name.name}' takes no named arguments: write '${name.name}(N)'`;
        this.diagnose(SyntaxCode.NamedTypeArgument, message, arg.name.range);
      }
    }
    return { kind: "ElementType", name, args: args.map((a) => a.value), range: this.rangeOf(cst) };
  }

  expression(cst: SyntaxNode | undefined): Ast.Expr {
    if (!cst) return this.errorExpr();
    const operators = tokens(cst, "operator");
    const pipes = tokens(cst, "Pipe");
    if (operators.length > MAX_CHAIN_LENGTH) return this.chainTooLong(cst, "operators");
    if (pipes.length > MAX_CHAIN_LENGTH) return this.chainTooLong(cst, "'|>'");
    let result = this.arithmetic(nodes(cst, "operand"), operators);
    const targets = nodes(cst, "pipeTarget");
    for (let i = 0; i < pipes.length; i++) {
      this.advance(pipes[i]);
      const target = targets[i];
      const right = target ? this.nameOrCall(target, "callee") : this.errorExpr();
      result = { kind: "Pipe", left: result, right, range: this.span(result.range, right.range) };
    }
    return result;
  }

  /**
   * `a op b op c ...` with `*` and `/` binding tighter than `+` and `-`, all associating
   * left: a sum of products, each folded as soon as its operator is read.
   */
  private arithmetic(operands: readonly SyntaxNode[], operators: readonly IToken[]): Ast.Expr {
    let sum: Ast.Expr | undefined;
    let sumOperator: IToken | undefined;
    let product = this.operand(operands[0]);
    for (let i = 0; i < operators.length; i++) {
      const operator = operators[i];
      this.advance(operator);
      const right = this.operand(operands[i + 1]);
      if (operator.tokenType === T.Star || operator.tokenType === T.Slash) {
        product = this.binary(operator, product, right);
      } else {
        sum = sum && sumOperator ? this.binary(sumOperator, sum, product) : product;
        sumOperator = operator;
        product = right;
      }
    }
    return sum && sumOperator ? this.binary(sumOperator, sum, product) : product;
  }

  private binary(operator: IToken, left: Ast.Expr, right: Ast.Expr): Ast.BinaryExpr {
    const op = operator.image as Ast.BinaryOperator;
    return { kind: "Binary", op, left, right, opRange: this.tokenRange(operator), range: this.span(left.range, right.range) };
  }

  private operand(cst: SyntaxNode | undefined): Ast.Expr {
    if (!cst) return this.errorExpr();
    const signs = tokens(cst, "Minus").filter(isReal);
    if (signs.length > MAX_CHAIN_LENGTH) return this.chainTooLong(cst, "'-' signs");
    if (signs.length > 0) this.advance(signs[signs.length - 1]);
    let result = this.primary(cst);
    // Built inside out, without recursion: `- - x` is Unary(Unary(x)).
    for (let i = signs.length - 1; i >= 0; i--) {
      const range = this.span(this.tokenRange(signs[i]), result.range);
      result = { kind: "Unary", op: "-", operand: result, range };
    }
    return result;
  }

  /** The operand without its signs: whichever alternative the parser took. */
  private primary(cst: SyntaxNode): Ast.Expr {
    const literal = token(cst, "Number") ?? token(cst, "True") ?? token(cst, "False") ?? token(cst, "TooDeep");
    if (literal) {
      if (!isReal(literal)) return this.errorExpr();
      const range = this.tokenRange(literal);
      this.advance(literal);
      if (literal.tokenType === T.NumberLiteral) return this.number(literal, range);
      if (literal.tokenType === T.TooDeep) return { kind: "Error", range }; // reported by the nesting guard
      return { kind: "Bool", value: literal.tokenType === T.True, range };
    }
    if (token(cst, "name")) {
      const name = this.identifier(token(cst, "name"));
      const argumentsCst = node(cst, "callArguments");
      const end = this.cursor;
      if (!argumentsCst) return { kind: "Name", name, range: this.lines.range(name.range.start.offset, end) };
      const args = this.callArguments(argumentsCst);
      return { kind: "Call", callee: name, args, range: this.lines.range(name.range.start.offset, this.cursor) };
    }
    const list = node(cst, "list");
    if (list) return this.list(list);
    const open = token(cst, "LParen");
    if (open && isReal(open)) {
      this.advance(open);
      const inner = this.expression(node(cst, "inner"));
      this.advance(token(cst, "RParen"));
      return { kind: "Paren", expr: inner, range: this.lines.range(open.startOffset, this.cursor) };
    }
    return this.errorExpr();
  }

  private number(literal: IToken, range: Ast.Range): Ast.Expr {
    const text = literal.image;
    if (!T.wellFormedNumber.test(text)) {
      this.diagnose(SyntaxCode.MalformedNumber, `malformed number '${text}'`, range);
      return { kind: "Error", range };
    }
    return { kind: "Number", value: Number(text), text, integer: /^\d+$/.test(text), range };
  }

  /** `relu` or `dense(10)`, in an expression or on the right of `|>`. */
  private nameOrCall(cst: SyntaxNode, nameLabel: string): Ast.NameExpr | Ast.CallExpr {
    const name = this.identifier(token(cst, nameLabel));
    const argumentsCst = node(cst, "callArguments");
    if (!argumentsCst) return { kind: "Name", name, range: this.rangeOf(cst, name) };
    const args = this.callArguments(argumentsCst);
    return { kind: "Call", callee: name, args, range: this.rangeOf(cst, name) };
  }

  private callArguments(cst: SyntaxNode): Ast.Argument[] {
    this.advance(token(cst, "LParen"));
    const args = nodes(cst, "argument").map((a) => this.argument(a));
    let firstNamed: Ast.Argument | undefined;
    for (const arg of args) {
      if (arg.name) firstNamed ??= arg;
      else if (firstNamed && firstNamed.name) {
        const message = `positional argument after the named argument '${firstNamed.name.name}': pass it by name or move it first`;
        this.diagnose(SyntaxCode.PositionalAfterNamed, message, arg.range);
      }
    }
    this.advance(token(cst, "RParen"));
    return args;
  }

  private argument(cst: SyntaxNode): Ast.Argument {
    const nameToken = token(cst, "name");
    const name = nameToken ? this.identifier(nameToken) : null;
    this.advance(token(cst, "Colon"));
    const value = this.expression(node(cst, "value"));
    return { kind: "Argument", name, value, range: this.rangeOf(cst) };
  }

  private list(cst: SyntaxNode): Ast.ListExpr {
    this.advance(token(cst, "LBracket"));
    const elements = nodes(cst, "element").map((e) => this.expression(e));
    this.advance(token(cst, "RBracket"));
    return { kind: "List", elements, range: this.rangeOf(cst) };
  }

  private identifier(name: IToken | undefined): Ast.Identifier {
    if (!name || !isReal(name)) return { kind: "Identifier", name: "", missing: true, range: this.here() };
    const range = this.tokenRange(name);
    this.advance(name);
    return { kind: "Identifier", name: name.image, range };
  }

  private chainTooLong(cst: SyntaxNode, what: string): Ast.ErrorExpr {
    const range = this.rangeOf(cst);
    const message = `more than ${MAX_CHAIN_LENGTH} ${what} in a row: split this expression with intermediate bindings`;
    this.diagnose(SyntaxCode.NestingTooDeep, message, range);
    return { kind: "Error", range };
  }

  private errorExpr(): Ast.ErrorExpr {
    return { kind: "Error", range: this.here() };
  }

  /**
   * The range of a CST node's real tokens; empty at the cursor when it has none. `first`
   * is the node's first child when that may be a placeholder, which stands before the
   * node's first real token (the missing name of `|> (x)`) and must stay inside the node.
   */
  private rangeOf(cst: SyntaxNode, first?: Ast.Identifier): Ast.Range {
    if (Number.isNaN(cst.startOffset)) return first ? first.range : this.here();
    const start = Math.min(cst.startOffset, first?.range.start.offset ?? Infinity);
    const end = cst.endOffset + 1;
    this.cursor = Math.max(this.cursor, end);
    return this.lines.range(start, end);
  }

  private tokenRange(t: IToken): Ast.Range {
    return this.lines.range(t.startOffset, (t.endOffset ?? t.startOffset) + 1);
  }

  private span(from: Ast.Range, to: Ast.Range): Ast.Range {
    return { start: from.start, end: to.end.offset >= from.start.offset ? to.end : from.end };
  }

  private here(): Ast.Range {
    return this.lines.range(this.cursor, this.cursor);
  }

  private advance(t: IToken | undefined): void {
    if (t && isReal(t)) this.cursor = Math.max(this.cursor, (t.endOffset ?? t.startOffset) + 1);
  }

  private diagnose(code: SyntaxCode, message: string, range: Ast.Range): void {
    this.report({ severity: "error", code, message, range });
  }
}

/** A token read from the text, not one that recovery invented. */
function isReal(t: IToken): boolean {
  return !t.isInsertedInRecovery && !Number.isNaN(t.startOffset);
}
