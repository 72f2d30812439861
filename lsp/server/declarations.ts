// The user declaration a name at the cursor declares or refers to: the shared first step of
// go to definition, find references and rename.
import type { Identifier } from "../../grammar/ast.js";
import type { Declaration } from "../../compiler/check/index.js";
import type { Analysis } from "./documents.js";
import { identifierAt } from "./syntax-queries.js";

export interface DeclarationAt {
  declaration: Declaration;
  /** The identifier under the cursor. */
  id: Identifier;
}

export function declarationAt(analysis: Analysis, offset: number): DeclarationAt | undefined {
  const { program, symbols } = analysis.result;
  const found = identifierAt(program, offset);
  if (!found) return undefined;
  const declaration = symbols.declarations.get(found.id) ?? symbols.definitionOf.get(found.id);
  return declaration && { declaration, id: found.id };
}

/** The declaring name and every use of it, in source order. */
export function occurrences(analysis: Analysis, declaration: Declaration): Identifier[] {
  const uses = analysis.result.symbols.referencesOf.get(declaration) ?? [];
  return [declaration.name, ...uses].sort((a, b) => a.range.start.offset - b.range.start.offset);
}
