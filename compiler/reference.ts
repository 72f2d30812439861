// The generated parts of docs/language.md: the library tables and the diagnostic codes,
// rendered from the registry and the code table so that the reference cannot drift from
// the checker. test/compiler/checker/docs.test.ts fails when the file is out of date and
// rewrites it when run with UPDATE_DOCS=1.
import { diagnosticCodes } from "./diagnostic-codes.js";
import type { ArgValue } from "./graph.js";
import {
  initEntries,
  layerEntries,
  lossEntries,
  optimizerEntries,
  scheduleEntries,
  surrogateEntries,
  trainKeys,
  type ArgDecl,
  type ArgType,
  type LayerGroup,
} from "./library/index.js";

function typeText(t: ArgType): string {
  switch (t.kind) {
    case "int":
    case "float": {
      const bounds: string[] = [];
      if (t.min !== undefined) bounds.push(`${t.kind === "float" && t.minExclusive ? ">" : "≥"} ${t.min}`);
      if (t.max !== undefined) bounds.push(`${t.kind === "float" && t.maxExclusive ? "<" : "≤"} ${t.max}`);
      return bounds.length ? `${t.kind} ${bounds.join(", ")}` : t.kind;
    }
    case "word":
      return t.words.join(" \\| ");
    case "shape":
      return t.allowInfer ? "shape (one -1 allowed)" : "shape";
    default:
      return t.kind;
  }
}

function valueText(v: ArgValue): string {
  if (typeof v === "object" && !Array.isArray(v)) {
    const args = Object.entries(v.args).map(([k, x]) => `${k}: ${valueText(x)}`);
    return args.length ? `${v.name}(${args.join(", ")})` : v.name;
  }
  return Array.isArray(v) ? `[${v.join(", ")}]` : String(v);
}

function argText(a: ArgDecl): string {
  const fallback = a.default !== undefined ? ` = ${valueText(a.default)}` : a.defaultDoc !== undefined ? ` = ${a.defaultDoc}` : " (required)";
  return `\`${a.name}\` ${typeText(a.type)}${fallback}`;
}

function argsCell(args: readonly ArgDecl[]): string {
  return args.length === 0 ? "—" : args.map(argText).join("; ");
}

function table(header: string[], rows: string[][]): string {
  return [`| ${header.join(" | ")} |`, `| ${header.map(() => "---").join(" | ")} |`, ...rows.map((r) => `| ${r.join(" | ")} |`)].join("\n");
}

const groupTitles: Record<LayerGroup, string> = {
  layer: "Layers",
  activation: "Activations",
  regularisation: "Regularisation and normalisation",
};

export function renderLibraryReference(): string {
  const sections: string[] = [];
  for (const group of ["layer", "activation", "regularisation"] as const) {
    const rows = [...layerEntries.values()]
      .filter((e) => e.group === group)
      .map((e) => [`\`${e.name}\``, e.inputs.length ? e.inputs.map((i) => `\`${i}\``).join(", ") : "none", argsCell(e.args), e.shapeDoc, e.doc]);
    sections.push(`### ${groupTitles[group]}\n\n${table(["name", "tensor inputs", "arguments", "shape rule", "what it does"], rows)}`);
  }
  sections.push(
    `### Init schemes\n\n${table(
      ["name", "arguments", "what it draws"],
      [...initEntries.values()].map((e) => [`\`${e.name}\``, argsCell(e.args), e.doc]),
    )}`,
  );
  sections.push(
    `### Losses\n\n${table(
      ["name", "target", "what it computes"],
      [...lossEntries.values()].map((e) => [`\`${e.name}\``, e.targetDoc, e.doc]),
    )}`,
  );
  sections.push(
    `### Optimizers\n\n${table(
      ["name", "arguments", "what it does"],
      [...optimizerEntries.values()].map((e) => [`\`${e.name}\``, argsCell(e.args), e.doc]),
    )}`,
  );
  sections.push(
    `### Schedules\n\n${table(
      ["name", "arguments", "learning rate at a step"],
      [...scheduleEntries.values()].map((e) => [`\`${e.name}\``, argsCell(e.args), e.doc]),
    )}`,
  );
  sections.push(
    `### Surrogate gradients\n\n${table(
      ["name", "arguments", "the spike's derivative (lif's `surrogate:`)"],
      [...surrogateEntries.values()].map((e) => [`\`${e.name}\``, argsCell(e.args), e.doc]),
    )}`,
  );
  sections.push(`### Train keys\n\n${table(["key", "value", "meaning"], trainKeys.map((k) => [`\`${k.name}\``, typeText(k.type), k.doc]))}`);
  return sections.join("\n\n");
}

/** Every diagnostic code, the parser's and the checker's. */
export function renderDiagnosticCodes(): string {
  return table(
    ["code", "severity", "meaning"],
    diagnosticCodes.map((c) => [c.code, c.severity, c.title.replace(/\|/g, "\\|")]),
  );
}

/** Replaces the text between `<!-- generated:NAME -->` and `<!-- end:NAME -->` in `doc`. */
export function fillGenerated(doc: string, name: string, content: string): string {
  const start = `<!-- generated:${name} -->`;
  const end = `<!-- end:${name} -->`;
  const i = doc.indexOf(start);
  const j = doc.indexOf(end);
  if (i < 0 || j < i) throw new Error(`docs: markers for '${name}' not found`);
  return `${doc.slice(0, i + start.length)}\n${content}\n${doc.slice(j)}`;
}
