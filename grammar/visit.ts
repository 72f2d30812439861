// Walking the syntax tree: `forEachChild` knows, for every kind of node, which fields hold
// its children, so the checker, the formatter and the language server need not.
import type { Node } from "./ast.js";

/** Calls `fn` on each direct child of `node`, in source order. */
export function forEachChild(node: Node, fn: (child: Node) => void): void {
  switch (node.kind) {
    case "Program":
      node.items.forEach(fn);
      return;
    case "Const":
      fn(node.name);
      fn(node.value);
      return;
    case "Block":
      fn(node.name);
      node.params.forEach(fn);
      node.body.forEach(fn);
      return;
    case "BlockParam":
      fn(node.name);
      if (node.type) fn(node.type);
      return;
    case "Model":
      fn(node.name);
      node.body.forEach(fn);
      return;
    case "Input":
    case "Target":
      fn(node.name);
      fn(node.type);
      return;
    case "Type":
      if (node.elementType) fn(node.elementType);
      if (node.shape) fn(node.shape);
      return;
    case "ElementType":
      fn(node.name);
      node.args.forEach(fn);
      return;
    case "Binding":
    case "Output":
      fn(node.name);
      fn(node.value);
      return;
    case "Loss":
    case "Optimizer":
      fn(node.value);
      return;
    case "Train":
      node.entries.forEach(fn);
      return;
    case "TrainEntry":
      fn(node.key);
      fn(node.value);
      return;
    case "Name":
      fn(node.name);
      return;
    case "List":
      node.elements.forEach(fn);
      return;
    case "Call":
      fn(node.callee);
      node.args.forEach(fn);
      return;
    case "Argument":
      if (node.name) fn(node.name);
      fn(node.value);
      return;
    case "Pipe":
    case "Binary":
      fn(node.left);
      fn(node.right);
      return;
    case "Unary":
      fn(node.operand);
      return;
    case "Paren":
      fn(node.expr);
      return;
    case "Number":
    case "Bool":
    case "Error":
    case "Identifier":
    case "Comment":
      return;
  }
}

/**
 * Visits `node` and everything below it, parents before children. Returning false from
 * `fn` skips that node's children. Iterative, so a deep tree cannot overflow the stack.
 */
export function walk(node: Node, fn: (node: Node, parent: Node | undefined) => boolean | void): void {
  const stack: Array<[Node, Node | undefined]> = [[node, undefined]];
  while (stack.length > 0) {
    const [current, parent] = stack.pop()!;
    if (fn(current, parent) === false) continue;
    const children: Node[] = [];
    forEachChild(current, (child) => children.push(child));
    for (let i = children.length - 1; i >= 0; i--) stack.push([children[i], current]);
  }
}
