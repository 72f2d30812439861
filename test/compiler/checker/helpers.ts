// Small helpers so that each checker test reads as the case it checks.
import { checkText, type CheckResult } from "../../../compiler/check/index.js";
import type { Diagnostic } from "../../../compiler/diagnostics.js";
import type { ModelGraph } from "../../../compiler/graph.js";

/** `model M { ...lines }`, with an output so that the model is complete. */
export function model(...lines: string[]): string {
  return `model M {\n${lines.map((l) => `  ${l}`).join("\n")}\n}\n`;
}

export function check(text: string): CheckResult {
  return checkText(text, "test.nn");
}

export function errors(text: string): Diagnostic[] {
  return check(text).diagnostics.filter((d) => d.severity === "error");
}

export function warnings(text: string): Diagnostic[] {
  return check(text).diagnostics.filter((d) => d.severity === "warning");
}

/** `"L:C message"` of every error, for compact expectations. */
export function errorLines(text: string): string[] {
  return errors(text).map((d) => `${d.range.start.line}:${d.range.start.column} ${d.message}`);
}

/** The one model of an error-free file; fails the test with the diagnostics otherwise. */
export function graph(text: string): ModelGraph {
  const r = check(text);
  const errs = r.diagnostics.filter((d) => d.severity === "error");
  if (errs.length > 0 || r.models.length !== 1)
    throw new Error(`expected one clean model, got: ${errs.map((d) => `${d.range.start.line}:${d.range.start.column} ${d.message}`).join("; ")}`);
  return r.models[0]!;
}

/** The output type of the model's output `y`, as `.nn` spells it. */
export function outputShape(text: string, output = "y"): number[] {
  const g = graph(text);
  const o = g.outputs.find((x) => x.name === output);
  if (!o) throw new Error(`no output ${output}`);
  return o.type.shape;
}

export function paramTable(g: ModelGraph): string[] {
  return g.params.map((p) => `${p.name} [${p.shape.join(", ")}]${p.trainable ? "" : " buffer"}`);
}

export function totalParams(g: ModelGraph): number {
  return g.params.reduce((a, p) => a + p.shape.reduce((x, y) => x * y, 1), 0);
}
