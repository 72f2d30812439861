// What a command of `nnc` is. Each command lives in its own file and is one entry in
// main.ts's table.
import type { OptionSpec, ParsedArgs } from "./args.js";

/** Where a command writes; process.stdout and process.stderr fit, and tests pass string collectors. */
export interface Io {
  /** `isTTY` and `columns` (as on process.stdout) let long commands draw a progress bar on a terminal. */
  stdout: { write(text: string): unknown; isTTY?: boolean; columns?: number };
  stderr: { write(text: string): unknown };
}

export interface Command {
  name: string;
  /** One line for `nnc --help`. */
  summary: string;
  /** The synopsis: `nnc check FILE...`. */
  usage: string;
  /** More help after the synopsis, for `nnc help CMD`. */
  details?: string;
  options: OptionSpec[];
  /** Returns the exit code: 0 success, 1 errors in the input, 2 usage errors (thrown as UsageError). */
  run(args: ParsedArgs, io: Io): Promise<number>;
}
