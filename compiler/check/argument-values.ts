// Checking one evaluated argument against what its parameter accepts: whole numbers,
// ranges, booleans. Messages name the argument and its callee, and are placed at the
// argument by the caller.
import type { ArgType } from "../library/index.js";
import type { SlotType } from "./calls.js";
import type { Value } from "./types.js";
import { formatType } from "../library/index.js";

export function describeValue(v: Value): string {
  switch (v.kind) {
    case "tensor":
      return `a tensor ${formatType(v.type)}`;
    case "number":
      return `the number ${v.value}`;
    case "bool":
      return `${v.value}`;
    case "error":
      return "an error";
  }
}

function rangeText(t: Extract<ArgType, { kind: "int" | "float" }>): string | null {
  const { min, max } = t;
  const minEx = t.kind === "float" && t.minExclusive;
  const maxEx = t.kind === "float" && t.maxExclusive;
  if (min !== undefined && max !== undefined) return `in ${minEx ? "(" : "["}${min}, ${max}${maxEx ? ")" : "]"}`;
  if (min !== undefined) return minEx ? `greater than ${min}` : `at least ${min}`;
  if (max !== undefined) return maxEx ? `less than ${max}` : `at most ${max}`;
  return null;
}

function inRange(t: Extract<ArgType, { kind: "int" | "float" }>, x: number): boolean {
  const minEx = t.kind === "float" && t.minExclusive;
  const maxEx = t.kind === "float" && t.maxExclusive;
  if (t.min !== undefined && (minEx ? x <= t.min : x < t.min)) return false;
  if (t.max !== undefined && (maxEx ? x >= t.max : x > t.max)) return false;
  return true;
}

/**
 * The problem with `v` as the argument `arg` of `owner`, or null when it fits. Only scalar
 * slot types reach here (numbers and booleans); the evaluator reads words, shapes, inits
 * and schedules from the syntax itself.
 */
export function argumentProblem(v: Value, type: SlotType, arg: string, owner: string): string | null {
  const what = `'${arg}' of '${owner}'`;
  switch (type.kind) {
    case "int":
    case "float": {
      if (v.kind !== "number") return `${what} must be a number, got ${describeValue(v)}`;
      if (type.kind === "int" && !Number.isInteger(v.value)) return `${what} must be a whole number, got ${v.value}`;
      const range = rangeText(type);
      if (range !== null && !inRange(type, v.value)) return `${what} must be ${range}, got ${v.value}`;
      return null;
    }
    case "bool":
      return v.kind === "bool" ? null : `${what} must be true or false, got ${describeValue(v)}`;
    case "any":
      return v.kind === "number" || v.kind === "bool" ? null : `${what} must be a number or a boolean, got ${describeValue(v)}`;
    case "tensor":
      return v.kind === "tensor" ? null : `'${owner}' needs a tensor for '${arg}', got ${describeValue(v)}`;
    default:
      return null;
  }
}

