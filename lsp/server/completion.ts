// Completion from what the text before the cursor says (call-context.ts): after `|>`
// layers and blocks; after `loss`/`optimizer` the losses and optimizers; inside a call its
// named arguments and the names in scope; after `init:` the init schemes, after
// `padding:` its words; inside `train { }` its keys; at the start of a line the statement
// keywords. Names in scope come from the checker's symbol table.
import { CompletionItemKind, type CompletionItem, type Position } from "vscode-languageserver";
import type { Declaration } from "../../compiler/check/index.js";
import {
  initEntries,
  layerEntries,
  lossEntries,
  optimizerEntries,
  scheduleEntries,
  surrogateEntries,
  trainKeys,
  formatType,
  type ArgType,
} from "../../compiler/library/index.js";
import { cursorContext, type CursorContext } from "./call-context.js";
import type { Analysis } from "./documents.js";
import { signatureOf } from "./signatures.js";
import { itemAt } from "./syntax-queries.js";

const STATEMENT_KEYWORDS = ["input", "target", "output", "loss", "optimizer", "train", "const"];
const TOP_LEVEL_KEYWORDS = ["model", "block", "const"];
/** After these the user is naming something new: nothing to offer. */
const NAMING_KEYWORDS = new Set(["model", "block", "input", "target", "output", "const"]);

export class CompletionProvider {
  complete(analysis: Analysis, position: Position): CompletionItem[] {
    const offset = analysis.offsetAt(position);
    const program = analysis.result.program;
    const item = itemAt(program, offset);
    const context = cursorContext(analysis.text, item?.range.start.offset ?? 0, offset);
    if (context.inComment) return [];
    const previous = context.previous?.text;
    if (previous !== undefined && NAMING_KEYWORDS.has(previous)) return [];
    if (previous === ":" && context.call?.namedArgument) return this.argumentValues(analysis, context, offset);
    if (previous === "|>") return [...layers(), ...this.blocks(analysis)];
    if (previous === "loss") return entries(lossEntries, CompletionItemKind.Function, "loss");
    if (previous === "optimizer") return entries(optimizerEntries, CompletionItemKind.Function, "optimizer");
    if (context.train) return context.train.atEntryStart ? this.trainKeys(context) : this.names(analysis, offset);
    if (context.call) {
      const named = context.call.atArgumentStart ? this.namedArguments(analysis, context) : [];
      return [...named, ...this.names(analysis, offset), ...layers(), ...this.blocks(analysis)];
    }
    const inBody = item !== undefined && item.kind !== "Const" && offset < item.range.end.offset;
    const atStatementStart = context.startOfLine || previous === "{" || previous === "}";
    if (atStatementStart) {
      if (!inBody) return keywords(TOP_LEVEL_KEYWORDS);
      return [...keywords(STATEMENT_KEYWORDS), ...this.names(analysis, offset)];
    }
    return [...this.names(analysis, offset), ...layers(), ...this.blocks(analysis)];
  }

  /** `units: `, `init: `: the named arguments of the call not given yet. */
  private namedArguments(analysis: Analysis, context: CursorContext): CompletionItem[] {
    const call = context.call!;
    const signature = signatureOf(call.callee, analysis.result.program, call.piped);
    if (!signature) return [];
    return signature.parameters
      .filter((p) => !p.tensor && !call.givenNames.includes(p.name))
      .map((p) => ({
        label: `${p.name}:`,
        kind: CompletionItemKind.Property,
        detail: p.label,
        documentation: p.doc,
        insertText: `${p.name}: `,
        sortText: `0_${p.name}`,
        // Re-trigger so that the value list follows `init: ` at once.
        command: { title: "values", command: "editor.action.triggerSuggest" },
      }));
  }

  /** The values a named argument accepts: init schemes, schedules, its words, true/false, or names in scope. */
  private argumentValues(analysis: Analysis, context: CursorContext, offset: number): CompletionItem[] {
    const call = context.call!;
    const signature = signatureOf(call.callee, analysis.result.program, call.piped);
    const type: ArgType | undefined = signature?.parameters.find((p) => p.name === call.namedArgument)?.type;
    switch (type?.kind) {
      case "init":
        return entries(initEntries, CompletionItemKind.EnumMember, "init");
      case "schedule":
        return entries(scheduleEntries, CompletionItemKind.EnumMember, "schedule");
      case "surrogate":
        return entries(surrogateEntries, CompletionItemKind.EnumMember, "surrogate");
      case "word":
        return type.words.map((w) => ({ label: w, kind: CompletionItemKind.EnumMember, detail: `${call.namedArgument}: ${w}` }));
      case "bool":
        return keywords(["true", "false"]);
      default:
        return this.names(analysis, offset).filter((c) => c.kind === CompletionItemKind.Constant || c.kind === CompletionItemKind.TypeParameter);
    }
  }

  private trainKeys(context: CursorContext): CompletionItem[] {
    return trainKeys
      .filter((k) => !context.train!.givenKeys.includes(k.name))
      .map((k) => ({ label: `${k.name}:`, kind: CompletionItemKind.Property, detail: k.type.kind, documentation: k.doc, insertText: `${k.name}: ` }));
  }

  /** Declarations visible at the cursor: file-level consts and those of the enclosing model or block declared before it. */
  private names(analysis: Analysis, offset: number): CompletionItem[] {
    const { program, symbols, types } = analysis.result;
    const owner = itemAt(program, offset);
    const seen = new Set<string>();
    const items: CompletionItem[] = [];
    const declarations = [...symbols.declarations.values()].sort((a, b) => b.name.range.start.offset - a.name.range.start.offset);
    for (const d of declarations) {
      if (d.kind === "block" || d.kind === "model" || seen.has(d.name.name) || d.name.missing) continue;
      const visible = d.owner === null ? d.kind === "const" : d.owner === owner && (d.kind === "shape" || d.kind === "param" || d.name.range.end.offset < offset);
      if (!visible) continue;
      seen.add(d.name.name);
      const info = types.get(d.name);
      const detail = info ? (info.kind === "tensor" ? formatType(info.type) : String(info.value)) : d.kind;
      items.push({ label: d.name.name, kind: kindOf(d), detail, sortText: `1_${d.name.name}` });
    }
    return items;
  }

  private blocks(analysis: Analysis): CompletionItem[] {
    return analysis.result.program.items
      .filter((i) => i.kind === "Block" && !i.name.missing)
      .map((b) => ({ label: b.name.name, kind: CompletionItemKind.Module, detail: "block", sortText: `2_${b.name.name}` }));
  }
}

function kindOf(d: Declaration): CompletionItemKind {
  switch (d.kind) {
    case "const":
      return CompletionItemKind.Constant;
    case "shape":
    case "param":
      return CompletionItemKind.TypeParameter;
    default:
      return CompletionItemKind.Variable;
  }
}

function layers(): CompletionItem[] {
  return [...layerEntries.values()].map((e) => ({
    label: e.name,
    kind: CompletionItemKind.Function,
    detail: `${e.group}: ${e.shapeDoc}`,
    documentation: e.doc,
    sortText: `3_${e.name}`,
  }));
}

function entries(map: ReadonlyMap<string, { name: string; doc: string }>, kind: CompletionItemKind, detail: string): CompletionItem[] {
  return [...map.values()].map((e) => ({ label: e.name, kind, detail, documentation: e.doc }));
}

function keywords(words: readonly string[]): CompletionItem[] {
  return words.map((w) => ({ label: w, kind: CompletionItemKind.Keyword }));
}
