// Rename: a user declaration and all its uses, after checking that the new name is a name,
// is not a keyword, and does not collide with another declaration in the same scope
// (which would silently rebind the uses). Library names cannot be renamed.
import { ResponseError, ErrorCodes, type Position, type Range, type WorkspaceEdit } from "vscode-languageserver";
import { declarationAt, occurrences } from "./declarations.js";
import type { Analysis } from "./documents.js";

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const KEYWORDS = new Set(["const", "block", "model", "input", "target", "output", "loss", "optimizer", "train", "true", "false"]);

export class RenameProvider {
  /** The range of the name to rename, or an error saying why this cannot be renamed. */
  prepare(analysis: Analysis, position: Position): { range: Range; placeholder: string } {
    const found = declarationAt(analysis, analysis.offsetAt(position));
    if (!found) throw new ResponseError(ErrorCodes.InvalidRequest, "only names declared in this file can be renamed");
    return { range: analysis.range(found.id.range), placeholder: found.id.name };
  }

  rename(analysis: Analysis, position: Position, newName: string): WorkspaceEdit {
    const found = declarationAt(analysis, analysis.offsetAt(position));
    if (!found) throw new ResponseError(ErrorCodes.InvalidRequest, "only names declared in this file can be renamed");
    const { declaration } = found;
    if (!NAME.test(newName)) throw new ResponseError(ErrorCodes.InvalidParams, `'${newName}' is not a name: use letters, digits and '_', not starting with a digit`);
    if (KEYWORDS.has(newName)) throw new ResponseError(ErrorCodes.InvalidParams, `'${newName}' is a keyword`);
    if (newName === declaration.name.name) return { changes: {} };
    for (const other of analysis.result.symbols.declarations.values()) {
      if (other !== declaration && other.owner === declaration.owner && other.name.name === newName)
        throw new ResponseError(ErrorCodes.InvalidParams, `'${newName}' is already declared here (line ${other.name.range.start.line}); choose another name`);
    }
    const edits = occurrences(analysis, declaration).map((id) => ({ range: analysis.range(id.range), newText: newName }));
    return { changes: { [analysis.uri]: edits } };
  }
}
