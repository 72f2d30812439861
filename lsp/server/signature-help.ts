// Signature help inside a call: the callee's parameters, the one being written highlighted
// (by position, or by name once `name:` is typed).
import type { Position, SignatureHelp } from "vscode-languageserver";
import { cursorContext } from "./call-context.js";
import type { Analysis } from "./documents.js";
import { signatureLabel, signatureOf } from "./signatures.js";
import { itemAt } from "./syntax-queries.js";

export class SignatureHelpProvider {
  signatureHelp(analysis: Analysis, position: Position): SignatureHelp | null {
    const offset = analysis.offsetAt(position);
    const program = analysis.result.program;
    const context = cursorContext(analysis.text, itemAt(program, offset)?.range.start.offset ?? 0, offset);
    const call = context.call;
    if (!call || context.inComment) return null;
    const signature = signatureOf(call.callee, program, call.piped);
    if (!signature) return null;
    const active = call.namedArgument !== undefined
      ? signature.parameters.findIndex((p) => p.name === call.namedArgument)
      : call.argumentIndex;
    const help: SignatureHelp = {
      signatures: [
        {
          label: signatureLabel(signature),
          documentation: signature.doc,
          parameters: signature.parameters.map((p) => ({ label: p.label, documentation: p.doc })),
        },
      ],
      activeSignature: 0,
    };
    if (active >= 0 && active < signature.parameters.length) help.activeParameter = active;
    return help;
  }
}
