// `nnc`: finds the command, parses its arguments and runs it. A new command is one file
// exporting a Command and one line in the table below.
import { formatOptions, parseArgs, UsageError } from "./args.js";
import { check } from "./check.js";
import { fmt } from "./fmt.js";
import { lsp } from "./lsp.js";
import { compile } from "./compile.js";
import type { Command, Io } from "./command.js";
import { suggest } from "../compiler/check/suggest.js";
import { summary } from "./summary.js";
import { train } from "./train.js";
import { evalCommand } from "./eval.js";
import { predict } from "./predict.js";
import { exportCommand } from "./export.js";
import { packageVersion } from "./version.js";

const commands: readonly Command[] = [
  check,
  fmt,
  lsp,
  summary,
  compile,
  train,
  evalCommand,
  predict,
  exportCommand,
];

export type { Command, Io } from "./command.js";

function overview(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    "nnc: the .nn model compiler",
    "",
    "usage: nnc COMMAND [options] [files]",
    "",
    "commands:",
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    "",
    "Run `nnc help COMMAND` for a command's options, `nnc --version` for the version.",
    "",
  ].join("\n");
}

function commandHelp(c: Command): string {
  return [
    `usage: ${c.usage}`,
    "",
    c.summary,
    ...(c.details ? ["", c.details] : []),
    ...(c.options.length > 0 ? ["", "options:", formatOptions(c.options)] : []),
    "",
  ].join("\n");
}

function findCommand(name: string): Command {
  const c = commands.find((x) => x.name === name);
  if (c) return c;
  const guess = suggest(name, commands.map((x) => x.name));
  throw new UsageError(`unknown command '${name}'${guess ? ` (did you mean '${guess}'?)` : ""}; run \`nnc --help\` for the list`);
}

const processIo: Io = { stdout: process.stdout, stderr: process.stderr };

/** Runs `nnc` with `argv` (without the node and script paths) and returns the exit code. */
export async function run(argv: string[], io: Io = processIo): Promise<number> {
  try {
    const [first, ...rest] = argv;
    if (first === undefined || first === "--help" || first === "-h") {
      io.stdout.write(overview());
      return 0;
    }
    if (first === "--version" || first === "-V") {
      io.stdout.write(`nnc ${packageVersion()}\n`);
      return 0;
    }
    if (first === "help") {
      io.stdout.write(rest[0] === undefined ? overview() : commandHelp(findCommand(rest[0])));
      return 0;
    }
    if (first.startsWith("-")) throw new UsageError(`unknown option '${first}' before a command; run \`nnc --help\``);
    const command = findCommand(first);
    if (rest.includes("--help") || rest.includes("-h")) {
      io.stdout.write(commandHelp(command));
      return 0;
    }
    return await command.run(parseArgs(rest, command.options), io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr.write(`nnc: ${e.message}\n`);
      return 2;
    }
    io.stderr.write(`nnc: internal error: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
}
