// The table behind hover: the type of each expression and declared name. The evaluator
// writes it as it goes, but only the language server reads it, and filling a Map of tens of
// thousands of syntax nodes was a tenth of `nnc check` on a large file. So entries are
// appended to a plain list, and the Map is built from it the first time someone asks.
import type { Node } from "../../grammar/ast.js";
import type { ExprInfo } from "./types.js";

export class TypeTable {
  /** node, info, node, info, ... in the order recorded. */
  private readonly recorded: (Node | ExprInfo)[] = [];
  private built: Map<Node, ExprInfo> | undefined;

  /** A node recorded twice keeps its first entry: hover shows a block body as at its first call. */
  record(node: Node, info: ExprInfo): void {
    this.recorded.push(node, info);
    if (this.built && !this.built.has(node)) this.built.set(node, info);
  }

  get map(): Map<Node, ExprInfo> {
    if (this.built) return this.built;
    const map = new Map<Node, ExprInfo>();
    const recorded = this.recorded;
    for (let i = 0; i < recorded.length; i += 2) {
      const node = recorded[i] as Node;
      if (!map.has(node)) map.set(node, recorded[i + 1] as ExprInfo);
    }
    this.built = map;
    return map;
  }
}
