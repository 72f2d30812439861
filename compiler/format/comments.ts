// Where each comment of a file goes when the file is reprinted. The formatter changes only
// whitespace, so a comment is placed relative to the code around it on its own line:
//
//   own-line   nothing but whitespace around it on its line(s): printed on a line of its own,
//              before the statement (or pipe stage, or train entry) it precedes;
//   trailing   code before it on its line, nothing after: printed at the end of the output
//              line that holds that code;
//   after      `dense(10) /* c */ |> relu`: glued after the node that ends just before it;
//   before     `x = /* c */ 1`: glued before the node that starts just after it.
//
// Every comment gets exactly one placement and the printer emits each placement once, so
// no comment is ever lost or duplicated.
import type { Comment, Node, Program } from "../../grammar/ast.js";
import { walk, type SourceToken } from "../../grammar/index.js";

export type CommentPlacement =
  | { kind: "own-line" }
  /** `anchor`: the offset of the code token before the comment on its line. */
  | { kind: "trailing"; anchor: number }
  | { kind: "after"; node: Node }
  | { kind: "before"; node: Node };

export interface PlacedComment {
  comment: Comment;
  placement: CommentPlacement;
}

/** Nodes by the offset where they start and where they end, the innermost node winning. */
interface NodeEdges {
  startingAt: Map<number, Node>;
  endingAt: Map<number, Node>;
}

function nodeEdges(program: Program): NodeEdges {
  const startingAt = new Map<number, Node>();
  const endingAt = new Map<number, Node>();
  const width = (n: Node): number => n.range.end.offset - n.range.start.offset;
  // Pre-order visits a parent before its children, so `<=` lets a child that shares the
  // parent's edge (a Name and its Identifier) replace it.
  walk(program, (node) => {
    if (node.kind === "Program" || node.kind === "Pipe") return;
    const start = startingAt.get(node.range.start.offset);
    if (!start || width(node) <= width(start)) startingAt.set(node.range.start.offset, node);
    const end = endingAt.get(node.range.end.offset);
    if (!end || width(node) <= width(end)) endingAt.set(node.range.end.offset, node);
  });
  return { startingAt, endingAt };
}

/** `tokens` are the file's tokens (grammar's `tokenize`), comments included. */
export function placeComments(program: Program, tokens: readonly SourceToken[]): PlacedComment[] {
  const edges = nodeEdges(program);
  const code = tokens.filter((t) => t.kind !== "comment");
  const placed: PlacedComment[] = [];
  let next = 0;
  for (const comment of program.comments) {
    const start = comment.range.start.offset;
    while (next < code.length && code[next]!.range.start.offset < start) next++;
    const before = code[next - 1];
    const after = code[next];
    const codeBefore = before !== undefined && before.range.end.line === comment.range.start.line;
    const codeAfter = !comment.text.startsWith("//") && after !== undefined && after.range.start.line === comment.range.end.line;
    placed.push({ comment, placement: placement(edges, before, after, codeBefore, codeAfter) });
  }
  return placed;
}

function placement(
  edges: NodeEdges,
  before: SourceToken | undefined,
  after: SourceToken | undefined,
  codeBefore: boolean,
  codeAfter: boolean,
): CommentPlacement {
  const endsBefore = before && edges.endingAt.get(before.range.end.offset);
  const startsAfter = after && edges.startingAt.get(after.range.start.offset);
  if (codeBefore && codeAfter) {
    if (endsBefore) return { kind: "after", node: endsBefore };
    if (startsAfter) return { kind: "before", node: startsAfter };
    return { kind: "trailing", anchor: before!.range.start.offset };
  }
  if (codeBefore) return { kind: "trailing", anchor: before!.range.start.offset };
  if (codeAfter && startsAfter) return { kind: "before", node: startsAfter };
  return { kind: "own-line" };
}
