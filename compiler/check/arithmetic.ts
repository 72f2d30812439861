// The rules of `+ - * /` apart from any syntax: const folding on numbers, and which tensor
// shapes broadcast. The evaluator applies them and places the errors.
import type { BinaryOperator } from "../../grammar/ast.js";
import { codes, type CodeInfo } from "./codes.js";

/** A folded number; `whole` when it came from whole-number literals only, so `/` must divide it exactly. */
export interface FoldedNumber {
  value: number;
  whole: boolean;
}

export type FoldResult = FoldedNumber | { error: string; code: CodeInfo };

export function foldNumbers(op: BinaryOperator, l: FoldedNumber, r: FoldedNumber): FoldResult {
  const [a, b] = [l.value, r.value];
  const whole = l.whole && r.whole;
  let value: number;
  switch (op) {
    case "+":
      value = a + b;
      break;
    case "-":
      value = a - b;
      break;
    case "*":
      value = a * b;
      break;
    case "/":
      if (b === 0) return { error: `division by zero: ${a} / ${b}`, code: codes.inexactDivision };
      // Shapes need whole numbers; a decimal (`1.0 / 4`) divides freely.
      if (whole && a % b !== 0)
        return { error: `${a} / ${b} does not divide exactly; write ${a}.0 / ${b} for a fraction`, code: codes.inexactDivision };
      value = a / b;
      break;
  }
  if (!Number.isFinite(value)) return { error: `${a} ${op} ${b} is too large: it is not a finite number`, code: codes.notFinite };
  return { value, whole: whole && Number.isInteger(value) };
}

/**
 * The shape of an element-wise result, or null when the operands do not broadcast: the
 * shorter shape must be the tail of the longer, aligned from the last axis ([T, D] with [D]).
 */
export function broadcast(a: readonly number[], b: readonly number[]): number[] | null {
  const [long, short] = a.length >= b.length ? [a, b] : [b, a];
  const offset = long.length - short.length;
  for (let i = 0; i < short.length; i++) if (short[i] !== long[offset + i]) return null;
  return [...long];
}
