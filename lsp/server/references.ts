// Find references: every use of the declaration under the cursor, the declaration itself on request.
import type { Location, Position } from "vscode-languageserver";
import { declarationAt, occurrences } from "./declarations.js";
import type { Analysis } from "./documents.js";

export class ReferencesProvider {
  references(analysis: Analysis, position: Position, includeDeclaration: boolean): Location[] {
    const found = declarationAt(analysis, analysis.offsetAt(position));
    if (!found) return [];
    return occurrences(analysis, found.declaration)
      .filter((id) => includeDeclaration || id !== found.declaration.name)
      .map((id) => ({ uri: analysis.uri, range: analysis.range(id.range) }));
  }
}
