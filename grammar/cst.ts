// The parser's concrete syntax tree, in a compact form of our own. Chevrotain's CST gives
// every rule a node, a dictionary of children (a slow-mode object) with one array per label,
// and a location object; on a 5,000-line file that was most of what a parse allocated, all
// of it garbage once cst-to-ast.ts had read it. parser.ts replaces Chevrotain's tree-builder
// hooks to build these nodes instead. Chevrotain still decides what goes into a node and
// when (partial nodes after recovery included), so the tree holds exactly what its own did.
import type { IToken } from "chevrotain";

export class SyntaxNode {
  /** Offsets of the first and last token read from the text (not invented by recovery); NaN while there is none. */
  startOffset = NaN;
  endOffset = NaN;
  /**
   * What the rule read, in the order read, as label, child, label, child...: one array
   * instead of one per label. A label is the grammar's (`name`, `value`) or else the token
   * type's or rule's name.
   */
  readonly parts: (string | IToken | SyntaxNode)[] = [];

  add(label: string, child: IToken | SyntaxNode): void {
    this.parts.push(label, child);
    // As Chevrotain's location tracking with recovery on: an invented token has NaN
    // offsets, so it never starts or extends a node.
    if (Number.isNaN(this.startOffset)) {
      this.startOffset = child.startOffset;
      this.endOffset = child.endOffset ?? NaN;
    } else if (this.endOffset < (child.endOffset ?? NaN)) {
      this.endOffset = child.endOffset ?? NaN;
    }
  }
}

function isNode(child: string | IToken | SyntaxNode): child is SyntaxNode {
  return child instanceof SyntaxNode;
}

/** The first child under `label`, if that is a node. */
export function node(cst: SyntaxNode, label: string): SyntaxNode | undefined {
  const found = first(cst, label);
  return found !== undefined && isNode(found) ? found : undefined;
}

/** The first child under `label`, if that is a token. */
export function token(cst: SyntaxNode, label: string): IToken | undefined {
  const found = first(cst, label);
  return found !== undefined && !isNode(found) ? found : undefined;
}

/** Most nodes have none of what is asked for; they all share this answer rather than each allocating one. */
const none: readonly never[] = [];

export function nodes(cst: SyntaxNode, label: string): readonly SyntaxNode[] {
  let found: SyntaxNode[] | undefined;
  const parts = cst.parts;
  for (let i = 0; i < parts.length; i += 2) {
    const child = parts[i + 1]!;
    if (parts[i] === label && isNode(child)) (found ??= []).push(child);
  }
  return found ?? none;
}

export function tokens(cst: SyntaxNode, label: string): readonly IToken[] {
  let found: IToken[] | undefined;
  const parts = cst.parts;
  for (let i = 0; i < parts.length; i += 2) {
    const child = parts[i + 1]!;
    if (parts[i] === label && !isNode(child)) (found ??= []).push(child as IToken);
  }
  return found ?? none;
}

/** The first child of an alternation (`statement`), with its label; undefined when the rule read nothing. */
export function firstChild(cst: SyntaxNode): [string, IToken | SyntaxNode] | undefined {
  const parts = cst.parts;
  return parts.length === 0 ? undefined : [parts[0] as string, parts[1] as IToken | SyntaxNode];
}

function first(cst: SyntaxNode, label: string): IToken | SyntaxNode | undefined {
  const parts = cst.parts;
  for (let i = 0; i < parts.length; i += 2) if (parts[i] === label) return parts[i + 1] as IToken | SyntaxNode;
  return undefined;
}
