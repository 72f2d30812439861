// How many operations one call of a block inlines, counted from the text: the layer calls,
// block calls and operators in its body, plus what each block it calls inlines in turn.
// Counted once per block (memoised) and without recursion, so that the count of a block
// nested ten thousand deep costs no stack and the count of one expanding to 2^30 operations
// costs microseconds: the inliner compares it with the limit before it expands anything.
import type { BlockDecl, Node } from "../../grammar/ast.js";
import { walk } from "../../grammar/index.js";
import type { BoundCall } from "./calls.js";

export class ExpansionSizes {
  private readonly sizes = new Map<BlockDecl, number>();

  constructor(private readonly calls: ReadonlyMap<Node, BoundCall>) {}

  /** Operations one call of `block` evaluates, its nested calls included (a cycle counts once: it is refused at its call). */
  of(block: BlockDecl): number {
    const pending: BlockDecl[] = [block];
    const started = new Set<BlockDecl>();
    while (pending.length > 0) {
      const current = pending[pending.length - 1]!;
      if (this.sizes.has(current)) {
        pending.pop();
        continue;
      }
      const { own, callees } = this.direct(current);
      const waiting = callees.filter((c) => !this.sizes.has(c) && !started.has(c));
      if (waiting.length > 0 && !started.has(current)) {
        started.add(current);
        pending.push(...waiting);
        continue;
      }
      pending.pop();
      let size = own;
      for (const c of callees) size += this.sizes.get(c) ?? 0;
      this.sizes.set(current, size);
    }
    return this.sizes.get(block)!;
  }

  /** The operations written in the block's body, and the blocks it calls (once per call). */
  private direct(block: BlockDecl): { own: number; callees: BlockDecl[] } {
    let own = 0;
    const callees: BlockDecl[] = [];
    walk(block, (node) => {
      if (node.kind === "Binary" || node.kind === "Unary") own++;
      const bound = this.calls.get(node);
      if (!bound) return;
      own++;
      if (bound.callee.kind === "block") callees.push(bound.callee.block.decl);
    });
    return { own, callees };
  }
}
