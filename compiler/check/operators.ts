// Applying `-x` and `+ - * /` to values: numbers fold (arithmetic.ts holds the rules), a
// tensor times or over a number becomes a `scale` node, two float tensors that broadcast
// become an element-wise node. Everything else is reported at the operator's expression.
import type { BinaryExpr, Expr } from "../../grammar/ast.js";
import type { TensorType } from "../graph.js";
import { formatType } from "../library/index.js";
import { broadcast, foldNumbers } from "./arithmetic.js";
import { codes } from "./codes.js";
import { tensorInConst, type Evaluation, type Frame, type TensorValue } from "./frame.js";
import { errorValue, type Value } from "./types.js";

type NumberValue = Extract<Value, { kind: "number" }>;

const operatorOps = { "+": "add", "-": "sub", "*": "mul" } as const;

export function negate(ev: Evaluation, e: Extract<Expr, { kind: "Unary" }>, frame: Frame): Value {
  const v = ev.evaluate(e.operand, frame);
  if (v.kind === "number") return { kind: "number", value: -v.value, whole: v.whole };
  if (v.kind === "tensor") return scale(ev, v, -1, e, frame);
  if (v.kind === "bool") frame.reporter.report(codes.unsupportedOperation, "cannot negate a boolean", e.range);
  return errorValue;
}

export function binary(ev: Evaluation, e: BinaryExpr, frame: Frame): Value {
  const l = ev.evaluate(e.left, frame);
  const r = ev.evaluate(e.right, frame);
  if (l.kind === "error" || r.kind === "error") return errorValue;
  if (l.kind === "number" && r.kind === "number") return fold(e, l, r, frame);
  if (l.kind === "bool" || r.kind === "bool") {
    frame.reporter.report(codes.unsupportedOperation, `'${e.op}' is not defined on booleans`, e.range);
    return errorValue;
  }
  if (l.kind === "tensor" && r.kind === "tensor") return elementwise(ev, e, l, r, frame);
  const tensor = (l.kind === "tensor" ? l : r) as TensorValue;
  const number = (l.kind === "number" ? l : r) as NumberValue;
  if (e.op === "*") return scale(ev, tensor, number.value, e, frame);
  if (e.op === "/" && l.kind === "tensor") {
    if (number.value === 0) {
      frame.reporter.report(codes.inexactDivision, "division by zero", e.right.range);
      return errorValue;
    }
    return scale(ev, tensor, 1 / number.value, e, frame);
  }
  const verb = { "+": "add a number to", "-": "subtract with a number and", "/": "divide a number by", "*": "" }[e.op];
  frame.reporter.report(
    codes.unsupportedOperation,
    `cannot ${verb} a tensor: between a tensor and a number only \`*\` and \`tensor / number\` are defined`,
    e.range,
  );
  return errorValue;
}

function scale(ev: Evaluation, v: TensorValue, factor: number, e: Expr, frame: Frame): Value {
  if (!frame.builder) return tensorInConst(e, frame);
  if (v.type.kind === "int") {
    frame.reporter.report(codes.unsupportedOperation, `cannot scale int tensor ${formatType(v.type)}; arithmetic needs float tensors`, e.range);
    return errorValue;
  }
  const node = frame.builder.add({
    op: "scale",
    inputs: [v.node],
    args: { factor },
    type: { ...v.type, shape: [...v.type.shape] },
    params: [],
    source: ev.source(e),
    name: frame.namer.next("scale"),
  });
  return { kind: "tensor", type: v.type, node };
}

function fold(e: BinaryExpr, l: NumberValue, r: NumberValue, frame: Frame): Value {
  const folded = foldNumbers(e.op, l, r);
  if ("error" in folded) {
    frame.reporter.report(folded.code, folded.error, e.range);
    return errorValue;
  }
  return { kind: "number", value: folded.value, whole: folded.whole };
}

function elementwise(ev: Evaluation, e: BinaryExpr, l: TensorValue, r: TensorValue, frame: Frame): Value {
  if (e.op === "/") {
    frame.reporter.report(codes.unsupportedOperation, "'/' between two tensors is not defined; divide by a number instead", e.range);
    return errorValue;
  }
  if (l.type.kind === "int" || r.type.kind === "int") {
    const t = l.type.kind === "int" ? l.type : r.type;
    frame.reporter.report(codes.unsupportedOperation, `element-wise '${e.op}' needs float tensors, got ${formatType(t)}`, e.range);
    return errorValue;
  }
  const shape = broadcast(l.type.shape, r.type.shape);
  if (!shape) {
    frame.reporter.report(codes.shapeMismatch, `shape mismatch: ${formatType(l.type)} vs ${formatType(r.type)}`, e.range);
    return errorValue;
  }
  if (!frame.builder) return tensorInConst(e, frame);
  const op = operatorOps[e.op];
  const type: TensorType = { shape, kind: "float" };
  const node = frame.builder.add({
    op,
    inputs: [l.node, r.node],
    args: {},
    type,
    params: [],
    source: ev.source(e),
    name: frame.namer.next(op),
  });
  return { kind: "tensor", type, node };
}
