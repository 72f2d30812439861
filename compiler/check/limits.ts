import type { Diagnostic } from "../diagnostics.js";
import { codes } from "./codes.js";

// How much one `.nn` file may ask of the checker. Text is small, but blocks are inlined at
// every call: 30 blocks that each call the one before twice are 2 KB of text and 2^30 layer
// calls. Each limit is far above what a real model needs and far below what exhausts memory,
// and each is enforced before the work it bounds, so an absurd file fails in milliseconds.

/** Operations (layer calls, block calls, operators) one model may hold once its blocks are inlined. */
export const maxOperations = 100_000;

/**
 * The largest `.nn` file the checker, the formatter and the language server read. Real models
 * are a few KB; parsing costs about a hundred bytes of memory per source byte.
 */
export const maxSourceBytes = 1024 * 1024;

/** `1,610,612,736`, or `1.2e+301` past what commas make readable. */
export function formatCount(n: number): string {
  return n < 1e15 ? n.toLocaleString("en-US") : n.toExponential(1);
}

/** `50.0 MiB`, `3.2 KiB`, `812 bytes`; a whole number of units without decimals (`1 MiB`). */
export function formatBytes(n: number): string {
  const [unit, size] = n >= 1024 ** 3 ? ["GiB", 1024 ** 3] : n >= 1024 ** 2 ? ["MiB", 1024 ** 2] : n >= 1024 ? ["KiB", 1024] : ["bytes", 1];
  return `${Number.isInteger(n / size) ? n / size : (n / size).toFixed(1)} ${unit}`;
}

/** The error for a text too large to read (at 1:1), or null. Counted in UTF-16 units, as the text is held. */
export function sourceTooLarge(text: string): Diagnostic | null {
  if (text.length <= maxSourceBytes) return null;
  const start = { line: 1, column: 1, offset: 0 };
  return {
    severity: codes.sourceTooLarge.severity,
    code: codes.sourceTooLarge.code,
    message: `the file is ${formatCount(text.length)} characters; a .nn file may be at most ${formatCount(maxSourceBytes)} (${formatBytes(maxSourceBytes)}; real models are a few KB): split it, or generate less`,
    range: { start, end: start },
  };
}
