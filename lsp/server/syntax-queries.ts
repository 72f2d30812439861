// Questions about the syntax tree at a cursor: which nodes hold it, which name it is on,
// which item it is in. They work on the partial tree of a half-typed file too.
import type { BlockDecl, Identifier, ModelDecl, Node, Program, TopLevel } from "../../grammar/ast.js";
import { forEachChild } from "../../grammar/index.js";

const contains = (node: Node, offset: number): boolean => node.range.start.offset <= offset && offset <= node.range.end.offset;

/** The nodes that hold `offset`, outermost first. A cursor just after a name still counts as on it. */
export function nodePathAt(program: Program, offset: number): Node[] {
  const path: Node[] = [program];
  for (;;) {
    let inner: Node | undefined;
    forEachChild(path[path.length - 1]!, (child) => {
      if (contains(child, offset) && (!inner || child.range.start.offset >= inner.range.start.offset)) inner = child;
    });
    if (!inner) return path;
    path.push(inner);
  }
}

/** The name under the cursor, with the nodes above it (parent last). */
export function identifierAt(program: Program, offset: number): { id: Identifier; parents: Node[] } | undefined {
  const path = nodePathAt(program, offset);
  const last = path[path.length - 1]!;
  if (last.kind !== "Identifier" || last.missing) return undefined;
  return { id: last, parents: path.slice(0, -1) };
}

/** The top-level item the offset is in, or the last one that starts before it (for a cursor after an unclosed body). */
export function itemAt(program: Program, offset: number): TopLevel | undefined {
  let found: TopLevel | undefined;
  for (const item of program.items) if (item.range.start.offset <= offset) found = item;
  return found;
}

export function ownerAt(program: Program, offset: number): ModelDecl | BlockDecl | undefined {
  const item = itemAt(program, offset);
  return item && item.kind !== "Const" ? item : undefined;
}
