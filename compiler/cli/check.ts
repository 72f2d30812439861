// `nnc check FILE...`: every diagnostic of every file, `file:line:col: severity: message`
// on stderr. Exit 0 when no file has an error (warnings allowed), 1 otherwise.
import { checkText } from "../check/index.js";
import { formatDiagnostic } from "../diagnostics.js";
import { UsageError } from "./args.js";
import type { Command } from "./command.js";
import { readSourceFile } from "./files.js";

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

export const check: Command = {
  name: "check",
  summary: "check .nn files for errors without compiling them",
  usage: "nnc check FILE...",
  details: "Prints each diagnostic as file:line:col: severity: message. Exit status: 0 when no file has an error (warnings allowed), 1 when any has, 2 for a usage error.",
  options: [{ name: "no-warnings", kind: "boolean", doc: "print errors only" }],
  async run(args, io) {
    if (args.positionals.length === 0) throw new UsageError("no files to check: nnc check FILE...");
    const texts = await Promise.all(args.positionals.map(readSourceFile));
    let errors = 0;
    let warnings = 0;
    texts.forEach((text, i) => {
      const file = args.positionals[i]!;
      for (const d of checkText(text, file).diagnostics) {
        if (d.severity === "warning") {
          if (args.flag("no-warnings")) continue;
          warnings++;
        } else errors++;
        io.stderr.write(formatDiagnostic(file, d) + "\n");
      }
    });
    if (errors + warnings > 0) io.stderr.write(`${plural(errors, "error")}, ${plural(warnings, "warning")}\n`);
    return errors > 0 ? 1 : 0;
  },
};
