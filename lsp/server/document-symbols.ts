// The outline: models and blocks, with their consts, inputs, targets, bindings and outputs.
import { SymbolKind, type DocumentSymbol } from "vscode-languageserver";
import type { Statement, TopLevel } from "../../grammar/ast.js";
import { formatType } from "../../compiler/library/index.js";
import type { Analysis } from "./documents.js";

export class DocumentSymbolsProvider {
  symbols(analysis: Analysis): DocumentSymbol[] {
    return analysis.result.program.items.filter((i) => !i.name.missing).map((item) => this.item(analysis, item));
  }

  private item(analysis: Analysis, item: TopLevel): DocumentSymbol {
    if (item.kind === "Const") return this.statement(analysis, item)!;
    const children = item.body.map((s) => this.statement(analysis, s)).filter((s): s is DocumentSymbol => s !== undefined);
    return {
      name: item.name.name,
      detail: item.kind === "Model" ? "model" : "block",
      kind: item.kind === "Model" ? SymbolKind.Class : SymbolKind.Function,
      range: analysis.range(item.range),
      selectionRange: analysis.range(item.name.range),
      children,
    };
  }

  private statement(analysis: Analysis, s: Statement): DocumentSymbol | undefined {
    if (!("name" in s) || s.name.missing) return undefined;
    const kinds: Partial<Record<Statement["kind"], SymbolKind>> = {
      Const: SymbolKind.Constant,
      Input: SymbolKind.Field,
      Target: SymbolKind.Field,
      Binding: SymbolKind.Variable,
      Output: SymbolKind.Property,
    };
    const info = analysis.result.types.get(s.name);
    const type = info ? (info.kind === "tensor" ? formatType(info.type) : String(info.value)) : undefined;
    return {
      name: s.name.name,
      detail: [s.kind.toLowerCase(), type].filter(Boolean).join(" "),
      kind: kinds[s.kind] ?? SymbolKind.Variable,
      range: analysis.range(s.range),
      selectionRange: analysis.range(s.name.range),
    };
  }
}
