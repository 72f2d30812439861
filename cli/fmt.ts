// `nnc fmt FILE... [--check] [--write]`: the canonical layout of .nn files (rules in
// compiler/format/printer.ts). Prints the formatted text, or with --check names the files
// that are not formatted, or with --write rewrites them in place, atomically.
import { randomBytes } from "node:crypto";
import { chmod, rename, stat, unlink, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { formatText } from "../compiler/format/index.js";
import { formatDiagnostic } from "../compiler/diagnostics.js";
import { UsageError } from "./args.js";
import type { Command } from "./command.js";
import { readSourceFile } from "./files.js";

export const fmt: Command = {
  name: "fmt",
  summary: "format .nn files in the canonical layout",
  usage: "nnc fmt FILE... [--check | --write] [--width N]",
  details:
    "Without options, prints each file formatted. Files with syntax errors are not formatted: their errors are printed instead. Exit status: 0 on success, 1 when a file has syntax errors, is not formatted (--check) or cannot be written, 2 for a usage error.",
  options: [
    { name: "check", kind: "boolean", doc: "change nothing; name each file that is not formatted and exit 1 if any" },
    { name: "write", short: "w", kind: "boolean", doc: "rewrite the files in place" },
    { name: "width", kind: "string", valueName: "N", doc: "line width at which pipes break (default 100)" },
  ],
  async run(args, io) {
    const files = args.positionals;
    if (files.length === 0) throw new UsageError("no files to format: nnc fmt FILE...");
    if (args.flag("check") && args.flag("write")) throw new UsageError("--check and --write exclude each other: choose one");
    const width = args.integer("width", 20);
    const texts = await Promise.all(files.map(readSourceFile));
    let failed = false;
    for (const [i, file] of files.entries()) {
      const result = formatText(texts[i]!, width === undefined ? {} : { width });
      if (!result.ok) {
        for (const d of result.diagnostics) io.stderr.write(formatDiagnostic(file, d) + "\n");
        io.stderr.write(`${file}: not formatted because of the errors above\n`);
        failed = true;
      } else if (args.flag("check")) {
        if (result.changed) {
          io.stderr.write(`${file}: not formatted; run \`nnc fmt --write ${file}\`\n`);
          failed = true;
        }
      } else if (args.flag("write")) {
        if (!result.changed) continue;
        const error = await writeAtomically(file, result.text);
        if (error) {
          io.stderr.write(`nnc: cannot write '${file}': ${error}\n`);
          failed = true;
        } else io.stderr.write(`formatted ${file}\n`);
      } else {
        io.stdout.write(result.text);
      }
    }
    return failed ? 1 : 0;
  },
};

/** Writes a temporary file beside `path` and renames it over `path`, so a crash never leaves half a file. Returns an error message or null. */
async function writeAtomically(path: string, text: string): Promise<string | null> {
  const temporary = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString("hex")}.tmp`);
  try {
    const mode = (await stat(path)).mode;
    await writeFile(temporary, text, { encoding: "utf8", flag: "wx" });
    await chmod(temporary, mode & 0o7777);
    await rename(temporary, path);
    return null;
  } catch (e) {
    await unlink(temporary).catch(() => undefined);
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "EACCES" || code === "EPERM") return "permission denied";
    if (code === "EROFS") return "read-only file system";
    return e instanceof Error ? e.message : String(e);
  }
}
