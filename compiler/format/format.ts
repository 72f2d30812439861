// `formatText`: a `.nn` file in its canonical layout (rules in printer.ts), or the syntax
// errors that keep it from being formatted. A file is only ever rewritten into text that
// parses to the same tree with the same comments: if the printer ever failed that, the
// file is refused with an internal error rather than changed.
import type { Program } from "../../grammar/ast.js";
import { parse, tokenize } from "../../grammar/index.js";
import { SyntaxCode } from "../../grammar/syntax-codes.js";
import { sourceTooLarge } from "../check/limits.js";
import type { Diagnostic } from "../diagnostics.js";
import { placeComments } from "./comments.js";
import { Printer } from "./printer.js";

export interface FormatOptions {
  /** The line width pipes and train blocks break at; 100 unless given. */
  width?: number;
}

export const DEFAULT_WIDTH = 100;

export type FormatResult =
  | { ok: true; text: string; changed: boolean }
  | { ok: false; diagnostics: Diagnostic[] };

const BYTE_ORDER_MARK = "\uFEFF";

export function formatText(text: string, options: FormatOptions = {}): FormatResult {
  const tooLarge = sourceTooLarge(text);
  if (tooLarge) return { ok: false, diagnostics: [tooLarge] };
  const parsed = parse(text);
  const errors = parsed.diagnostics.filter((d) => d.severity === "error");
  if (errors.length > 0) return { ok: false, diagnostics: errors };
  try {
    const tokens = tokenize(text);
    const printer = new Printer(text, parsed.program, tokens, placeComments(parsed.program, tokens), {
      width: options.width ?? DEFAULT_WIDTH,
      eol: lineBreakOf(text),
    });
    const formatted = (text.startsWith(BYTE_ORDER_MARK) ? BYTE_ORDER_MARK : "") + printer.print();
    const reparsed = parse(formatted);
    if (reparsed.diagnostics.length > 0 || syntaxFingerprint(reparsed.program) !== syntaxFingerprint(parsed.program)) {
      return internalError("the formatted text would not mean the same as the file");
    }
    return { ok: true, text: formatted, changed: formatted !== text };
  } catch (e) {
    return internalError(e instanceof Error ? e.message : String(e));
  }
}

/** The file's tree without positions, and its comments: what formatting must not change. */
export function syntaxFingerprint(program: Program): string {
  const tree = JSON.stringify(program.items, (key, value: unknown) => (key === "range" || key === "opRange" ? undefined : value));
  const comments = program.comments.map((c) => c.text).sort();
  return `${tree}\n${JSON.stringify(comments)}`;
}

/** The file's own line break, so that a Windows file stays one. */
function lineBreakOf(text: string): string {
  const first = /\r\n|\n|\r/.exec(text);
  return first?.[0] === "\r\n" ? "\r\n" : "\n";
}

function internalError(detail: string): FormatResult {
  const start = { line: 1, column: 1, offset: 0 };
  return {
    ok: false,
    diagnostics: [
      {
        severity: "error",
        code: SyntaxCode.InternalError,
        message: `internal error in the formatter (${detail}); the file was left as it is`,
        range: { start, end: start },
      },
    ],
  };
}
