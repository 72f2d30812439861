// Hover: what a name is. For a binding, input, const or output: its kind and inferred type.
// For a layer or block call: its signature, its output shape, the parameters it owns, and
// the one line of documentation from the library registry.
import { MarkupKind, type Hover, type Position } from "vscode-languageserver";
import type { Identifier, Node } from "../../grammar/ast.js";
import type { Declaration, ExprInfo } from "../../compiler/check/index.js";
import { formatShape, formatType, trainKeys } from "../../compiler/library/index.js";
import type { Analysis } from "./documents.js";
import { signatureLabel, signatureOf } from "./signatures.js";
import { identifierAt } from "./syntax-queries.js";

export class HoverProvider {
  hover(analysis: Analysis, position: Position): Hover | null {
    const found = identifierAt(analysis.result.program, analysis.offsetAt(position));
    if (!found) return null;
    const { id, parents } = found;
    const parent = parents[parents.length - 1];
    const grandparent = parents[parents.length - 2];
    const sections = this.librarySections(analysis, id, parent, grandparent) ?? this.declarationSections(analysis, id, parent);
    if (!sections) return null;
    return { contents: { kind: MarkupKind.Markdown, value: sections.join("\n\n") }, range: analysis.range(id.range) };
  }

  /** A library name or block call (`dense`, `adam`, `he_normal`, `FeedForward`), and a named argument or train key. */
  private librarySections(analysis: Analysis, id: Identifier, parent: Node | undefined, grandparent: Node | undefined): string[] | undefined {
    const { program, symbols, types } = analysis.result;
    if (parent?.kind === "Argument" && parent.name === id && grandparent?.kind === "Call") {
      const signature = signatureOf(grandparent.callee.name, program, false);
      const parameter = signature?.parameters.find((p) => p.name === id.name);
      return parameter && [code(parameter.label), parameter.doc];
    }
    if (parent?.kind === "TrainEntry" && parent.key === id) {
      const key = trainKeys.find((k) => k.name === id.name);
      return key && [code(`train { ${key.name}: ${key.type.kind} }`), key.doc];
    }
    const library = symbols.library.get(id);
    const site = parent?.kind === "Call" && parent.callee === id ? parent : parent?.kind === "Name" ? parent : undefined;
    const info = site ? types.get(site) : undefined;
    const call = info?.kind === "tensor" ? info.call : undefined;
    if (!library && !call) return undefined;
    const piped = grandparent?.kind === "Pipe" && grandparent.right === site;
    const signature = signatureOf(id.name, program, piped);
    const sections = [code(signature ? signatureLabel(signature) : id.name)];
    if (info?.kind === "tensor") sections.push(`output: \`${formatType(info.type)}\``);
    if (call && call.params.length > 0) {
      const listed = call.params.slice(0, 6).map((p) => `\`${p.name}\` ${formatShape(p.shape)}${p.trainable ? "" : " (buffer)"}`);
      if (call.params.length > 6) listed.push(`and ${call.params.length - 6} more`);
      sections.push(`parameters: ${call.paramCount.toLocaleString("en-US")} (${listed.join(", ")})`);
    }
    if (call?.state) sections.push(`state per sample, zero at the first step: ${call.state.map((s) => `${s.name} \`${formatShape(s.shape)}\``).join(", ")}`);
    const doc = library?.doc ?? (call?.kind === "layer" ? call.doc : undefined);
    if (doc) sections.push(doc);
    return sections;
  }

  private declarationSections(analysis: Analysis, id: Identifier, parent: Node | undefined): string[] | undefined {
    const { program, symbols, types } = analysis.result;
    const declaration = symbols.declarations.get(id) ?? symbols.definitionOf.get(id);
    if (!declaration) return undefined;
    if (declaration.kind === "block") {
      const signature = signatureOf(declaration.name.name, program, false);
      return [code(signature ? `block ${signatureLabel(signature)}` : `block ${declaration.name.name}`)];
    }
    if (declaration.kind === "model") {
      const graph = analysis.result.models.find((m) => m.name === declaration.name.name);
      const count = graph?.params.filter((p) => p.trainable).reduce((n, p) => n + p.shape.reduce((a, b) => a * b, 1), 0);
      return [code(`model ${declaration.name.name}`), ...(count !== undefined ? [`trainable parameters: ${count.toLocaleString("en-US")}`] : [])];
    }
    const info = types.get(declaration.name) ?? types.get(id) ?? (parent?.kind === "Name" ? types.get(parent) : undefined);
    return [code(`(${describeKind(declaration)}) ${declaration.name.name}${info ? `: ${describeInfo(info)}` : ""}`)];
  }
}

function describeKind(d: Declaration): string {
  return d.kind === "shape" ? "shape variable" : d.kind === "param" ? "block argument" : d.kind;
}

function describeInfo(info: ExprInfo): string {
  if (info.kind === "tensor") return formatType(info.type);
  return String(info.value);
}

function code(text: string): string {
  return "```nn\n" + text + "\n```";
}
