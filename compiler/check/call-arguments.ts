// Reading a bound call's arguments (calls.ts binds them to parameters) into values: the
// tensor inputs of a layer or block, and the non-tensor arguments of a library entry with
// their defaults filled in. Each problem is reported at its argument; the value checks
// themselves are in argument-values.ts.
import type { Expr } from "../../grammar/ast.js";
import type { ArgValue, CallValue } from "../graph.js";
import type { ArgDecl } from "../library/index.js";
import { argumentProblem, describeValue } from "./argument-values.js";
import { calleeName, type BoundArg, type BoundCall } from "./calls.js";
import { codes } from "./codes.js";
import type { Evaluation, Frame, Piped, TensorValue } from "./frame.js";
import type { Value } from "./types.js";

/** An argument's value; the piped one is already evaluated. */
export function argumentValue(ev: Evaluation, arg: BoundArg, piped: Piped | null, frame: Frame): Value {
  return piped && arg.expr === piped.expr ? piped.value : ev.evaluate(arg.expr, frame);
}

/** The tensor inputs of a call, or null when one is missing, broken or not a tensor (reported at the argument). */
export function tensorInputs(
  ev: Evaluation,
  names: readonly string[],
  bound: BoundCall,
  piped: Piped | null,
  frame: Frame,
): TensorValue[] | null {
  const out: TensorValue[] = [];
  let ok = true;
  for (const name of names) {
    const arg = bound.args.get(name);
    if (!arg) {
      ok = false;
      continue;
    }
    const v = argumentValue(ev, arg, piped, frame);
    if (v.kind === "error") ok = false;
    else if (v.kind !== "tensor") {
      const problem = argumentProblem(v, { kind: "tensor" }, name, calleeName(bound.callee));
      frame.reporter.report(codes.expectedTensor, `${problem}; pipe a tensor in: \`x |> ${calleeName(bound.callee)}(...)\``, arg.range);
      ok = false;
    } else out.push(v);
  }
  return ok ? out : null;
}

/**
 * Every non-tensor argument of a library entry, checked and with its default filled in;
 * null when any is wrong (each reported at its argument).
 */
export function libraryArguments(
  ev: Evaluation,
  owner: string,
  decls: readonly ArgDecl[],
  bound: BoundCall,
  frame: Frame,
): Record<string, ArgValue> | null {
  const out: Record<string, ArgValue> = {};
  let ok = true;
  for (const decl of decls) {
    const arg = bound.args.get(decl.name);
    if (!arg) {
      if (decl.default !== undefined) out[decl.name] = decl.default;
      else if (decl.defaultDoc === undefined) ok = false;
      continue;
    }
    const v = libraryArgument(ev, owner, decl, arg, frame);
    if (v === null) ok = false;
    else out[decl.name] = v;
  }
  return ok ? out : null;
}

function libraryArgument(ev: Evaluation, owner: string, decl: ArgDecl, arg: BoundArg, frame: Frame): ArgValue | null {
  const type = decl.type;
  switch (type.kind) {
    case "word":
      return arg.expr.kind === "Name" && type.words.includes(arg.expr.name.name) ? arg.expr.name.name : null;
    case "init":
    case "schedule":
    case "surrogate":
      return namedCallValue(ev, arg.expr, frame);
    case "shape":
      return shapeValue(ev, owner, decl.name, arg.expr, type.allowInfer ?? false, frame);
    default: {
      const v = ev.evaluate(arg.expr, frame);
      if (v.kind === "error") return null;
      const problem = argumentProblem(v, type, decl.name, owner);
      if (problem) {
        frame.reporter.report(codes.badArgument, problem, arg.range);
        return null;
      }
      return v.kind === "number" || v.kind === "bool" ? v.value : null;
    }
  }
}

/** An init scheme, schedule or surrogate: `he_normal`, `normal(0.02)`, `cosine(warmup: 100)`, with defaults filled in. */
function namedCallValue(ev: Evaluation, e: Expr, frame: Frame): CallValue | null {
  const bound = ev.resolution.calls.get(e);
  if (!bound || (bound.callee.kind !== "init" && bound.callee.kind !== "schedule" && bound.callee.kind !== "surrogate")) return null;
  const args = libraryArguments(ev, bound.callee.entry.name, bound.callee.entry.args, bound, frame);
  return args ? { kind: "call", name: bound.callee.entry.name, args } : null;
}

/** A shape argument written as a list, `[7, 7, 16]`; with `allowInfer`, one dimension may be -1. */
function shapeValue(ev: Evaluation, owner: string, arg: string, e: Expr, allowInfer: boolean, frame: Frame): number[] | null {
  if (e.kind !== "List") {
    const v = ev.evaluate(e, frame);
    if (v.kind !== "error")
      frame.reporter.report(codes.badArgument, `'${arg}' of '${owner}' must be a shape such as [7, 7, 16], got ${describeValue(v)}`, e.range);
    return null;
  }
  const shape: number[] = [];
  let inferred = 0;
  for (const el of e.elements) {
    const v = ev.evaluate(el, frame);
    if (v.kind === "error") return null;
    const infer = allowInfer && v.kind === "number" && v.value === -1;
    if (infer) inferred++;
    if (!infer && (v.kind !== "number" || !Number.isInteger(v.value) || v.value < 1)) {
      const allowed = allowInfer ? "a positive whole number or -1" : "a positive whole number";
      frame.reporter.report(codes.badArgument, `each dimension of '${arg}' must be ${allowed}, got ${describeValue(v)}`, el.range);
      return null;
    }
    if (inferred > 1) {
      frame.reporter.report(codes.badArgument, `only one dimension of '${arg}' may be -1`, el.range);
      return null;
    }
    shape.push((v as Extract<Value, { kind: "number" }>).value);
  }
  return shape;
}
