// `nnc check FILE...`: every diagnostic of every file, `file:line:col: severity: message`
// on stderr, then a count; each file without errors says so on stdout (`xor.nn: ok (1 model)`),
// so that a clean run is not mistaken for one that did nothing. Exit 0 when no file has an
// error (warnings allowed), 1 otherwise.
import { checkText } from "../compiler/check/index.js";
import { formatDiagnostic } from "../compiler/diagnostics.js";
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
  details:
    "Prints each diagnostic as file:line:col: severity: message on stderr, then the count of errors and warnings; " +
    "each file without errors prints `FILE: ok (N models)` on stdout. Exit status: 0 when no file has an error (warnings allowed), 1 when any has, 2 for a usage error.",
  options: [
    { name: "no-warnings", kind: "boolean", doc: "print errors only" },
    { name: "quiet", short: "q", kind: "boolean", doc: "print only diagnostics, not the ok line of a clean file" },
  ],
  async run(args, io) {
    if (args.positionals.length === 0) throw new UsageError("no files to check: nnc check FILE...");
    const texts = await Promise.all(args.positionals.map(readSourceFile));
    let errors = 0;
    let warnings = 0;
    texts.forEach((text, i) => {
      const file = args.positionals[i]!;
      const result = checkText(text, file);
      let fileErrors = 0;
      for (const d of result.diagnostics) {
        if (d.severity === "warning") {
          if (args.flag("no-warnings")) continue;
          warnings++;
        } else fileErrors++;
        io.stderr.write(formatDiagnostic(file, d) + "\n");
      }
      errors += fileErrors;
      if (fileErrors === 0 && !args.flag("quiet")) io.stdout.write(`${file}: ok (${plural(result.models.length, "model")})\n`);
    });
    if (errors + warnings > 0) io.stderr.write(`${plural(errors, "error")}, ${plural(warnings, "warning")}\n`);
    return errors > 0 ? 1 : 0;
  },
};
