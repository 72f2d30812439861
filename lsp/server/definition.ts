// Go to definition: from a use of a binding, const, input, block or argument to where it is declared.
import type { Location, Position } from "vscode-languageserver";
import { declarationAt } from "./declarations.js";
import type { Analysis } from "./documents.js";

export class DefinitionProvider {
  definition(analysis: Analysis, position: Position): Location | null {
    const found = declarationAt(analysis, analysis.offsetAt(position));
    return found ? { uri: analysis.uri, range: analysis.range(found.declaration.name.range) } : null;
  }
}
