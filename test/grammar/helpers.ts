// Small helpers so that each grammar test reads as the case it checks.
import { expect } from "vitest";
import { parse, type Expr, type ModelDecl, type Program, type Statement } from "../../grammar/index.js";
import type { Diagnostic } from "../../compiler/diagnostics.js";

/** Parses text that must be free of errors. */
export function parseClean(text: string): Program {
  const { program, diagnostics } = parse(text);
  expect(diagnostics.map(describe)).toEqual([]);
  return program;
}

/** The statements of a model whose body is `body`. */
export function statements(body: string): Statement[] {
  const item = parseClean(`model M {\n${body}\n}`).items[0] as ModelDecl;
  return item.body;
}

/** The expression `text`, read as the value of a const. */
export function expression(text: string): Expr {
  const item = parseClean(`const X = ${text}`).items[0];
  if (item.kind !== "Const") throw new Error("expected a const");
  return item.value;
}

/** An expression as an S-expression: `x |> dense(10)` is `(|> x (dense 10))`. */
export function sexpr(e: Expr): string {
  switch (e.kind) {
    case "Number":
      return e.text;
    case "Bool":
      return String(e.value);
    case "Name":
      return name(e.name);
    case "List":
      return `[${e.elements.map(sexpr).join(" ")}]`;
    case "Call":
      return `(${[name(e.callee), ...e.args.map((a) => (a.name ? `${name(a.name)}:` : "") + sexpr(a.value))].join(" ")})`;
    case "Pipe":
      return `(|> ${sexpr(e.left)} ${sexpr(e.right)})`;
    case "Binary":
      return `(${e.op} ${sexpr(e.left)} ${sexpr(e.right)})`;
    case "Unary":
      return `(- ${sexpr(e.operand)})`;
    case "Paren":
      return `(paren ${sexpr(e.expr)})`;
    case "Error":
      return "<error>";
  }
}

function name(id: { name: string; missing?: boolean }): string {
  return id.missing ? "<missing>" : id.name;
}

/** `line:column message`, the way a reader sees a diagnostic. */
export function describe(d: Diagnostic): string {
  return `${d.range.start.line}:${d.range.start.column} ${d.message}`;
}

/** The diagnostics of `text`, each as `line:column message`. */
export function errors(text: string): string[] {
  return parse(text).diagnostics.map(describe);
}

/** The source text a range covers. */
export function slice(text: string, range: { start: { offset: number }; end: { offset: number } }): string {
  return text.slice(range.start.offset, range.end.offset);
}
