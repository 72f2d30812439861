// Collecting diagnostics. The evaluator of a block body reports through a Reporter that
// redirects to the call site, so that "an error inside a block found at a call is reported
// at the call".
import type { Identifier, Range } from "../../grammar/ast.js";
import type { Diagnostic, Fix } from "../diagnostics.js";
import type { CodeInfo } from "./codes.js";
import { suggest } from "./suggest.js";

export interface Reporter {
  report(info: CodeInfo, message: string, range: Range, fix?: Fix): void;
  /** How many errors went through this reporter: a model with any is not handed to the back end. */
  readonly errorCount: number;
}

export class DiagnosticList implements Reporter {
  readonly diagnostics: Diagnostic[] = [];
  errorCount = 0;

  report(info: CodeInfo, message: string, range: Range, fix?: Fix): void {
    const d: Diagnostic = { severity: info.severity, code: info.code, message, range };
    if (fix) d.fix = fix;
    this.diagnostics.push(d);
    if (info.severity === "error") this.errorCount++;
  }
}

/** Reports everything at `at`, naming the block and the place inside it where the error arose. */
export class CallSiteReporter implements Reporter {
  errorCount = 0;
  constructor(
    private readonly outer: Reporter,
    private readonly at: Range,
    private readonly blockName: string,
  ) {}

  report(info: CodeInfo, message: string, range: Range): void {
    if (info.severity === "error") this.errorCount++;
    const where = `${range.start.line}:${range.start.column}`;
    this.outer.report(info, `in block '${this.blockName}' (at ${where}): ${message}`, this.at);
  }
}

/**
 * "unknown layer 'dence' (did you mean 'dense'?)" with the replacement as a fix; returns the guess. `qualifier`
 * follows the name ("for 'dense'"); `otherwise` is appended only when there is no guess
 * ("; use valid or same").
 */
export function reportUnknown(
  reporter: Reporter,
  info: CodeInfo,
  what: string,
  id: Identifier,
  candidates: Iterable<string>,
  options: { qualifier?: string; otherwise?: string } = {},
): string | undefined {
  const guess = suggest(id.name, candidates);
  const head = `unknown ${what} '${id.name}'${options.qualifier ? ` ${options.qualifier}` : ""}`;
  if (guess === undefined) {
    reporter.report(info, head + (options.otherwise ?? ""), id.range);
    return undefined;
  }
  reporter.report(info, `${head} (did you mean '${guess}'?)`, id.range, {
    range: id.range,
    replacement: guess,
    title: `Change to '${guess}'`,
  });
  return guess;
}
