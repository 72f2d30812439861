// The canonical layout of a `.nn` file, printed from its syntax tree. The rules (also in
// docs/language.md, "Formatting"):
//
// - one statement per line, two spaces of indent per level; at most one blank line kept
//   between statements and between top-level items, none after `{` or before `}`;
// - spaces around `=`, `|>` and binary operators, after `,` and `:`; none inside brackets;
// - `input`/`target` names are aligned within a run of consecutive declarations (as in the
//   examples: `input  tokens:   int(V)[T]` over `target reversed: int(V)[T]`);
// - a statement's pipe is printed on one line unless it does not fit in the width, its
//   author started its first `|>` on a new line, or a comment sits between its stages; a
//   broken pipe puts one stage per line, each line starting with `|>` one level deeper,
//   except that stages its author grouped on one line (`|> conv2d(16) |> relu`) stay
//   together while that line fits;
// - `train { ... }` likewise: one line, or one entry per line without commas;
// - comments stay where they were relative to the code (see comments.ts).
//
// Printing an expression is pure (a string from a node), so a layout can be measured
// before it is chosen.
import type {
  BlockDecl,
  Comment,
  Expr,
  Identifier,
  InputDecl,
  ModelDecl,
  Node,
  PipeExpr,
  Program,
  Statement,
  TargetDecl,
  TopLevel,
  TrainDecl,
  TypeExpr,
} from "../../grammar/ast.js";
import type { SourceToken } from "../../grammar/index.js";
import type { PlacedComment } from "./comments.js";

export interface PrintOptions {
  /** Lines longer than this (indent included, trailing comments not) break where they can. */
  width: number;
  /** The line break written between lines. */
  eol: string;
}

const INDENT = "  ";
/** `input` is padded to the width of `target`, so that names line up under each other. */
const DECLARATION_KEYWORD_WIDTH = "target".length;

interface OutputLine {
  depth: number;
  text: string;
  /** Where this line's code starts in the source; null for a comment printed on its own line. */
  anchor: number | null;
  blankBefore: boolean;
}

/** Something printed on its own line(s) inside a container: a top-level item, a statement, a pipe stage, a train entry. */
interface Unit {
  start: number;
  end: number;
  node?: Statement;
  /** True when the unit prints this own-line comment itself (inside a broken pipe or train). */
  claims(comment: Comment): boolean;
  lines(depth: number): OutputLine[];
}

type Element = { kind: "unit"; unit: Unit; blankBefore: boolean } | { kind: "comment"; comment: Comment; blankBefore: boolean };

interface PipeStage {
  /** Offset of the stage's `|>`. */
  op: number;
  expr: Expr;
}

export class Printer {
  private readonly before = new Map<Node, Comment[]>();
  private readonly after = new Map<Node, Comment[]>();
  private readonly ownLine: Comment[] = [];
  /** Trailing and own-line comments, by offset: what forces a pipe or a train to break. */
  private readonly lineComments: Comment[] = [];
  private readonly trailing: Array<{ comment: Comment; anchor: number }> = [];
  private readonly pipeOperators: number[];

  constructor(
    private readonly source: string,
    private readonly program: Program,
    tokens: readonly SourceToken[],
    comments: readonly PlacedComment[],
    private readonly options: PrintOptions,
  ) {
    for (const { comment, placement } of comments) {
      switch (placement.kind) {
        case "before":
          pushTo(this.before, placement.node, comment);
          break;
        case "after":
          pushTo(this.after, placement.node, comment);
          break;
        case "trailing":
          this.trailing.push({ comment, anchor: placement.anchor });
          this.lineComments.push(comment);
          break;
        case "own-line":
          this.ownLine.push(comment);
          this.lineComments.push(comment);
          break;
      }
    }
    this.pipeOperators = tokens.filter((t) => t.text === "|>").map((t) => t.range.start.offset);
  }

  print(): string {
    const items = this.program.items.map((item) => this.itemUnit(item));
    const lines = this.render(this.sequence(items, this.ownLine, true), 0);
    const text = this.attachTrailing(lines)
      .map((l) => (l.blankBefore ? this.options.eol : "") + INDENT.repeat(l.depth) + l.text)
      .join(this.options.eol);
    return lines.length === 0 ? "" : text + this.options.eol;
  }

  // ---- containers -------------------------------------------------------------------

  /** Units and the own-line comments among them, in source order; a comment inside a unit that does not print it moves before it. */
  private sequence(units: readonly Unit[], comments: readonly Comment[], keepBlankLines: boolean): Element[] {
    const placed: Array<{ element: Element; at: number; start: number; end: number; order: number }> = [];
    units.forEach((unit, i) => placed.push({ element: { kind: "unit", unit, blankBefore: false }, at: unit.start, start: unit.start, end: unit.end, order: 2 * i + 1 }));
    comments.forEach((comment, i) => {
      const c = comment.range.start.offset;
      const inside = units.find((u) => u.start <= c && c < u.end);
      if (inside?.claims(comment)) return;
      const at = inside ? inside.start : c;
      const end = inside ? inside.start : comment.range.end.offset;
      placed.push({ element: { kind: "comment", comment, blankBefore: false }, at, start: at, end, order: inside ? -1 : 2 * i });
    });
    placed.sort((a, b) => a.at - b.at || (a.element.kind === "comment" ? 0 : 1) - (b.element.kind === "comment" ? 0 : 1) || a.order - b.order);
    return placed.map((p, i) => {
      const previous = placed[i - 1];
      const blank = keepBlankLines && previous !== undefined && this.blankLineBetween(previous.end, p.start);
      return { ...p.element, blankBefore: blank };
    });
  }

  private render(elements: readonly Element[], depth: number): OutputLine[] {
    const alignment = this.declarationAlignment(elements);
    const lines: OutputLine[] = [];
    for (const element of elements) {
      const printed =
        element.kind === "comment"
          ? [{ depth, text: element.comment.text, anchor: null, blankBefore: false }]
          : element.unit.node && alignment.has(element.unit.node)
            ? [this.declarationLine(element.unit.node as InputDecl | TargetDecl, depth, alignment.get(element.unit.node)!)]
            : element.unit.lines(depth);
      if (printed.length > 0) printed[0] = { ...printed[0]!, blankBefore: element.blankBefore };
      lines.push(...printed);
    }
    return lines;
  }

  /** A blank line in the source between two offsets, not counting the inside of comments. */
  private blankLineBetween(from: number, to: number): boolean {
    if (to <= from) return false;
    let gap = this.source.slice(from, to);
    for (const c of this.program.comments) {
      const s = c.range.start.offset;
      const e = c.range.end.offset;
      if (e <= from || s >= to) continue;
      gap = gap.slice(0, Math.max(0, s - from)) + "x".repeat(Math.min(e, to) - Math.max(s, from)) + gap.slice(Math.min(e, to) - from);
    }
    return /\r?\n[ \t\f\v]*\r?\n/.test(gap.replace(/\r\n?/g, "\n"));
  }

  /**
   * Trailing comments go at the end of the line holding the code before them. A line keeps
   * at most one line comment, last; any other moves onto its own line above.
   */
  private attachTrailing(lines: OutputLine[]): OutputLine[] {
    const codeLines = lines.map((l, i) => ({ l, i })).filter((x) => x.l.anchor !== null);
    const byLine = new Map<number, Comment[]>();
    for (const { comment, anchor } of this.trailing) {
      let low = 0;
      let high = codeLines.length - 1;
      while (low < high) {
        const mid = (low + high + 1) >> 1;
        if (codeLines[mid]!.l.anchor! <= anchor) low = mid;
        else high = mid - 1;
      }
      const target = codeLines[low];
      if (target) pushTo(byLine, target.i, comment);
    }
    const out: OutputLine[] = [];
    lines.forEach((line, i) => {
      const comments = byLine.get(i);
      if (!comments) {
        out.push(line);
        return;
      }
      const blocks = comments.filter((c) => c.block);
      const lineComments = comments.filter((c) => !c.block);
      const withBlocks = [line.text, ...blocks.map((c) => c.text)].join(" ");
      const kept = lastLineHoldsCode(withBlocks) ? lineComments.pop() : undefined;
      const hoisted = lineComments.map((c) => ({ depth: line.depth, text: c.text, anchor: null, blankBefore: false }));
      if (hoisted.length > 0) {
        hoisted[0] = { ...hoisted[0]!, blankBefore: line.blankBefore };
        line = { ...line, blankBefore: false };
      }
      const tail = [...blocks, ...(kept ? [kept] : [])].map((c) => ` ${c.text}`).join("");
      out.push(...hoisted, { ...line, text: line.text + tail });
    });
    return out;
  }

  // ---- items and statements -------------------------------------------------------

  private itemUnit(item: TopLevel): Unit {
    const inside = (c: Comment): boolean => item.kind !== "Const" && this.within(c, item.range.start.offset, item.range.end.offset);
    return {
      start: item.range.start.offset,
      end: item.range.end.offset,
      claims: inside,
      lines: (depth) => (item.kind === "Const" ? this.statementLines(item, depth) : this.bodyLines(item, depth)),
    };
  }

  private bodyLines(item: ModelDecl | BlockDecl, depth: number): OutputLine[] {
    const params = item.kind === "Block" && item.params.length > 0
      ? `(${item.params.map((p) => this.wrap(p, this.ident(p.name) + (p.type ? `: ${this.ident(p.type)}` : ""))).join(", ")})`
      : "";
    const keyword = item.kind === "Model" ? "model" : "block";
    const header = `${this.leading(item)}${keyword} ${this.ident(item.name)}${params} {`;
    const start = item.range.start.offset;
    const end = item.range.end.offset;
    const closing = `}${this.trailingOf(item)}`;
    const comments = this.ownLine.filter((c) => this.within(c, start, end));
    const body = this.render(this.sequence(item.body.map((s) => this.statementUnit(s)), comments, true), depth + 1);
    if (body.length === 0) return [{ depth, text: `${header}${closing}`, anchor: start, blankBefore: false }];
    return [
      { depth, text: header, anchor: start, blankBefore: false },
      ...body.map((l, i) => (i === 0 ? { ...l, blankBefore: false } : l)),
      { depth, text: closing, anchor: end - 1, blankBefore: false },
    ];
  }

  private statementUnit(statement: Statement): Unit {
    const start = statement.range.start.offset;
    const end = statement.range.end.offset;
    return {
      start,
      end,
      node: statement,
      // An own-line comment in a train or between pipe stages forces them to break, so
      // those print it themselves.
      claims: (c) => {
        if (statement.kind === "Train") return this.within(c, start, end);
        const value = "value" in statement ? statement.value : null;
        if (value?.kind !== "Pipe") return false;
        return this.within(c, this.pipeParts(value).head.range.end.offset, end);
      },
      lines: (depth) => this.statementLines(statement, depth),
    };
  }

  private statementLines(statement: Statement, depth: number): OutputLine[] {
    const start = statement.range.start.offset;
    const lead = this.leading(statement);
    switch (statement.kind) {
      case "Const":
        return this.valueLines(`${lead}const ${this.ident(statement.name)} = `, statement.value, start, depth);
      case "Binding":
        return this.valueLines(`${lead}${this.ident(statement.name)} = `, statement.value, start, depth);
      case "Output":
        return this.valueLines(`${lead}output ${this.ident(statement.name)} = `, statement.value, start, depth);
      case "Loss":
        return this.valueLines(`${lead}loss `, statement.value, start, depth);
      case "Optimizer":
        return this.valueLines(`${lead}optimizer `, statement.value, start, depth);
      case "Input":
      case "Target":
        return [this.declarationLine(statement, depth, 0)];
      case "Train":
        return this.trainLines(statement, depth);
    }
  }

  /** `input  name: type`, the name padded to `nameWidth` so that a run of declarations lines up. */
  private declarationLine(statement: InputDecl | TargetDecl, depth: number, nameWidth: number): OutputLine {
    const keyword = (statement.kind === "Input" ? "input" : "target").padEnd(DECLARATION_KEYWORD_WIDTH);
    const name = `${this.ident(statement.name)}:`;
    const padding = " ".repeat(Math.max(0, nameWidth - codePoints(name)));
    const text = `${this.leading(statement)}${keyword} ${name}${padding} ${this.type(statement.type)}`;
    return { depth, text, anchor: statement.range.start.offset, blankBefore: false };
  }

  /** For each input or target in a run of them (no blank line or other statement between), the width its `name:` is padded to. */
  private declarationAlignment(elements: readonly Element[]): Map<Statement, number> {
    const widths = new Map<Statement, number>();
    let run: Statement[] = [];
    const close = (): void => {
      const width = Math.max(0, ...run.map((s) => codePoints(`${this.ident((s as InputDecl).name)}:`)));
      for (const s of run) widths.set(s, width);
      run = [];
    };
    for (const element of elements) {
      if (element.blankBefore) close();
      if (element.kind === "comment") continue;
      const node = element.unit.node;
      if (node && (node.kind === "Input" || node.kind === "Target")) run.push(node);
      else close();
    }
    close();
    return widths;
  }

  /** `prefix value`, the value a pipe that may break into one stage per line. */
  private valueLines(prefix: string, value: Expr, start: number, depth: number): OutputLine[] {
    const flat = prefix + this.expr(value);
    if (value.kind !== "Pipe" || !this.pipeBreaks(value, flat, depth)) return [{ depth, text: flat, anchor: start, blankBefore: false }];
    const { head, stages } = this.pipeParts(value);
    const headLine: OutputLine = { depth, text: prefix + this.expr(head), anchor: start, blankBefore: false };
    const units: Unit[] = this.stageGroups(stages, depth + 1).map((group) => {
      const text = group.map((stage) => `|> ${this.expr(stage.expr)}`).join(" ");
      return {
        start: group[0]!.op,
        end: group.at(-1)!.expr.range.end.offset,
        claims: () => false,
        lines: (d) => [{ depth: d, text, anchor: group[0]!.op, blankBefore: false }],
      };
    });
    const comments = this.ownLine.filter((c) => this.within(c, head.range.end.offset, value.range.end.offset));
    return [headLine, ...this.render(this.sequence(units, comments, false), depth + 1)];
  }

  /**
   * The lines of a broken pipe's stages: one stage each, but where the author broke the pipe
   * and wrote several stages on one line (a block of the network: conv, norm, activation,
   * pool), they stay on one line while it fits at `depth`. A pipe broken only for its width
   * gets one stage per line.
   */
  private stageGroups(stages: readonly PipeStage[], depth: number): PipeStage[][] {
    const grouping = this.startsLine(stages[0]!.op);
    const groups: PipeStage[][] = [];
    let width = 0;
    for (const stage of stages) {
      const text = `|> ${this.expr(stage.expr)}`;
      const last = groups.at(-1);
      const joined = width + 1 + codePoints(text);
      if (grouping && last !== undefined && !this.startsLine(stage.op) && INDENT.length * depth + joined <= this.options.width) {
        last.push(stage);
        width = joined;
      } else {
        groups.push([stage]);
        width = codePoints(text);
      }
    }
    return groups;
  }

  private pipeBreaks(pipe: PipeExpr, flat: string, depth: number): boolean {
    if (INDENT.length * depth + codePoints(flat) > this.options.width) return true;
    const { head, stages } = this.pipeParts(pipe);
    if (this.startsLine(stages[0]!.op)) return true;
    return this.lineComments.some((c) => this.within(c, head.range.end.offset, pipe.range.end.offset));
  }

  private trainLines(train: TrainDecl, depth: number): OutputLine[] {
    const start = train.range.start.offset;
    const lead = this.leading(train);
    const closing = `}${this.trailingOf(train)}`;
    const entry = (e: TrainDecl["entries"][number]): string => this.wrap(e, `${this.ident(e.key)}: ${this.expr(e.value)}`);
    if (!this.trainBreaks(train, depth)) {
      const inner = train.entries.length === 0 ? "" : ` ${train.entries.map(entry).join(", ")} `;
      return [{ depth, text: `${lead}train {${inner}${closing}`, anchor: start, blankBefore: false }];
    }
    const units: Unit[] = train.entries.map((e) => ({
      start: e.range.start.offset,
      end: e.range.end.offset,
      claims: () => false,
      lines: (d) => [{ depth: d, text: entry(e), anchor: e.range.start.offset, blankBefore: false }],
    }));
    const comments = this.ownLine.filter((c) => this.within(c, start, train.range.end.offset));
    return [
      { depth, text: `${lead}train {`, anchor: start, blankBefore: false },
      ...this.render(this.sequence(units, comments, false), depth + 1),
      { depth, text: closing, anchor: train.range.end.offset - 1, blankBefore: false },
    ];
  }

  private trainBreaks(train: TrainDecl, depth: number): boolean {
    if (train.entries.length === 0) return this.lineComments.some((c) => this.within(c, train.range.start.offset, train.range.end.offset));
    const flat = `train { ${train.entries.map((e) => `${this.ident(e.key)}: ${this.expr(e.value)}`).join(", ")} }`;
    if (INDENT.length * depth + codePoints(flat) > this.options.width) return true;
    if (this.startsLine(train.entries[0]!.range.start.offset)) return true;
    return this.lineComments.some((c) => this.within(c, train.range.start.offset, train.range.end.offset));
  }

  // ---- expressions --------------------------------------------------------------------

  private expr(e: Expr): string {
    switch (e.kind) {
      case "Number":
        return this.wrap(e, e.text);
      case "Bool":
        return this.wrap(e, e.value ? "true" : "false");
      case "Name":
        return this.wrap(e, this.ident(e.name));
      case "List":
        return this.wrap(e, `[${e.elements.map((x) => this.expr(x)).join(", ")}]`);
      case "Call": {
        const args = e.args.map((a) => this.wrap(a, (a.name ? `${this.ident(a.name)}: ` : "") + this.expr(a.value)));
        return this.wrap(e, `${this.ident(e.callee)}(${args.join(", ")})`);
      }
      case "Pipe":
        return this.wrap(e, `${this.expr(e.left)} |> ${this.expr(e.right)}`);
      case "Binary":
        return this.wrap(e, `${this.expr(e.left)} ${e.op} ${this.expr(e.right)}`);
      case "Unary":
        return this.wrap(e, `-${this.expr(e.operand)}`);
      case "Paren":
        return this.wrap(e, `(${this.expr(e.expr)})`);
      case "Error":
        return "";
    }
  }

  private type(t: TypeExpr): string {
    const element = t.elementType
      ? this.wrap(t.elementType, this.ident(t.elementType.name) + (t.elementType.args.length > 0 ? `(${t.elementType.args.map((a) => this.expr(a)).join(", ")})` : ""))
      : "";
    return this.wrap(t, element + (t.shape ? this.expr(t.shape) : ""));
  }

  private ident(id: Identifier): string {
    return this.wrap(id, id.name);
  }

  /** A node's text with the comments glued before and after it. */
  private wrap(node: Node, text: string): string {
    return this.leading(node) + text + this.trailingOf(node);
  }

  private leading(node: Node): string {
    return (this.before.get(node) ?? []).map((c) => `${c.text} `).join("");
  }

  private trailingOf(node: Node): string {
    return (this.after.get(node) ?? []).map((c) => ` ${c.text}`).join("");
  }

  // ---- source queries -----------------------------------------------------------------

  private within(comment: Comment, from: number, to: number): boolean {
    const c = comment.range.start.offset;
    return from <= c && c < to;
  }

  /** True when only spaces separate `offset` from the start of its line. */
  private startsLine(offset: number): boolean {
    for (let i = offset - 1; i >= 0; i--) {
      const c = this.source[i];
      if (c === "\n" || c === "\r") return true;
      if (c !== " " && c !== "\t" && c !== "\f" && c !== "\v") return false;
    }
    return true;
  }

  /** `a |> f |> g` as its head `a` and its stages `f`, `g`, each with the offset of its `|>`. */
  private pipeParts(pipe: PipeExpr): { head: Expr; stages: PipeStage[] } {
    const stages: PipeStage[] = [];
    let current: Expr = pipe;
    while (current.kind === "Pipe") {
      stages.unshift({ op: this.operatorAfter(current.left.range.end.offset), expr: current.right });
      current = current.left;
    }
    return { head: current, stages };
  }

  private operatorAfter(offset: number): number {
    let low = 0;
    let high = this.pipeOperators.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (this.pipeOperators[mid]! < offset) low = mid + 1;
      else high = mid;
    }
    return this.pipeOperators[low] ?? offset;
  }
}

function pushTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/**
 * False when `text` ends on the last line of a block comment that spans lines: a line
 * comment after it would be read back as a comment on a line of its own.
 */
function lastLineHoldsCode(text: string): boolean {
  const lastBreak = Math.max(text.lastIndexOf("\n"), text.lastIndexOf("\r"));
  if (lastBreak < 0) return true;
  const afterComment = text.slice(text.indexOf("*/", lastBreak) + 2);
  return afterComment.replace(/\/\*[\s\S]*?\*\//g, "").trim() !== "";
}

function codePoints(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}
