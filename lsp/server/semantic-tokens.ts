// Semantic tokens: colours that follow meaning, not just spelling. The lexer gives
// keywords, numbers and comments; the checker's symbol table tells a layer (`dense`) from a
// binding, a block argument, a const or a word argument (`same`, `he_normal`).
import { SemanticTokensBuilder, type SemanticTokens, type SemanticTokensLegend } from "vscode-languageserver";
import type { Identifier } from "../../grammar/ast.js";
import { tokenize, walk } from "../../grammar/index.js";
import type { Analysis } from "./documents.js";

const TYPES = ["keyword", "function", "variable", "parameter", "number", "comment", "type", "property", "enumMember"] as const;
const MODIFIERS = ["declaration", "readonly", "defaultLibrary"] as const;

type TokenType = (typeof TYPES)[number];
type Modifier = (typeof MODIFIERS)[number];

export const semanticTokensLegend: SemanticTokensLegend = { tokenTypes: [...TYPES], tokenModifiers: [...MODIFIERS] };

interface Classification {
  type: TokenType;
  modifiers: Modifier[];
}

export class SemanticTokensProvider {
  tokens(analysis: Analysis): SemanticTokens {
    const classified = this.classifyNames(analysis);
    const builder = new SemanticTokensBuilder();
    for (const token of tokenize(analysis.text)) {
      const start = token.range.start.offset;
      let c: Classification | undefined;
      if (token.kind === "keyword" || token.kind === "bool") c = { type: "keyword", modifiers: [] };
      else if (token.kind === "number") c = { type: "number", modifiers: [] };
      else if (token.kind === "comment") c = { type: "comment", modifiers: [] };
      else if (token.kind === "identifier") c = classified.get(start);
      if (!c) continue;
      this.push(analysis, builder, start, token.text, c);
    }
    return builder.build();
  }

  /** Editors draw tokens line by line, so a block comment over several lines becomes one token per line. */
  private push(analysis: Analysis, builder: SemanticTokensBuilder, start: number, text: string, c: Classification): void {
    const type = TYPES.indexOf(c.type);
    const modifiers = c.modifiers.reduce((bits, m) => bits | (1 << MODIFIERS.indexOf(m)), 0);
    let offset = start;
    for (const piece of text.split(/(\r\n|\r|\n)/)) {
      if (piece !== "" && !/^(\r\n|\r|\n)$/.test(piece)) {
        const at = analysis.positionAt(offset);
        builder.push(at.line, at.character, piece.length, type, modifiers);
      }
      offset += piece.length;
    }
  }

  /** Each identifier of the tree, by start offset, with what it names. */
  private classifyNames(analysis: Analysis): Map<number, Classification> {
    const { program, symbols } = analysis.result;
    const out = new Map<number, Classification>();
    const set = (id: Identifier, type: TokenType, ...modifiers: Modifier[]): void => {
      if (!id.missing) out.set(id.range.start.offset, { type, modifiers });
    };
    walk(program, (node) => {
      switch (node.kind) {
        case "Model":
        case "Block":
          set(node.name, "type", "declaration");
          break;
        case "ElementType":
          set(node.name, "type");
          break;
        case "BlockParam":
          set(node.name, "parameter", "declaration");
          if (node.type) set(node.type, "type");
          break;
        case "Argument":
          if (node.name) set(node.name, "property");
          break;
        case "TrainEntry":
          set(node.key, "property");
          break;
        case "Call":
          set(node.callee, "function", ...(symbols.library.has(node.callee) ? (["defaultLibrary"] as Modifier[]) : []));
          break;
        case "Identifier": {
          if (out.has(node.range.start.offset)) break;
          const library = symbols.library.get(node);
          if (library) {
            set(node, library.group === "layer" || library.group === "loss" || library.group === "optimizer" ? "function" : "enumMember", "defaultLibrary");
            break;
          }
          const declared = symbols.declarations.get(node);
          const declaration = declared ?? symbols.definitionOf.get(node);
          if (!declaration) break;
          const modifiers: Modifier[] = declared ? ["declaration"] : [];
          if (declaration.kind === "const") modifiers.push("readonly");
          const type: TokenType =
            declaration.kind === "block" || declaration.kind === "model"
              ? "type"
              : declaration.kind === "param" || declaration.kind === "shape"
                ? "parameter"
                : "variable";
          set(node, type, ...modifiers);
          break;
        }
      }
    });
    // Words that are not names of the file (`same`, `valid`) are argument values.
    walk(program, (node) => {
      if (node.kind === "Name" && !out.has(node.range.start.offset)) set(node.name, "enumMember");
    });
    return out;
  }
}
