// Command-line arguments shared by every `nnc` command: flags with values
// (`--model NAME`, `--model=NAME`, `-o FILE`), boolean flags, positionals, `--` to end
// options. A mistake becomes a UsageError: one line naming the problem and the fix.
import { suggest } from "../compiler/check/suggest.js";

export interface OptionSpec {
  /** Long name without dashes: `model` for `--model`. */
  name: string;
  /** One letter: `o` for `-o`. */
  short?: string;
  /** `string` options take a value; `boolean` ones do not. */
  kind: "string" | "boolean";
  /** Shown in help: `--model NAME`. */
  valueName?: string;
  doc: string;
}

/** A mistake on the command line: exit code 2, one line, no stack trace. */
export class UsageError extends Error {
  override name = "UsageError";
}

export class ParsedArgs {
  constructor(
    readonly positionals: string[],
    private readonly values: Map<string, string | true>,
  ) {}

  has(name: string): boolean {
    return this.values.has(name);
  }

  flag(name: string): boolean {
    return this.values.get(name) === true;
  }

  string(name: string): string | undefined {
    const v = this.values.get(name);
    return typeof v === "string" ? v : undefined;
  }

  /**
   * A whole-number option (`--epochs 3`) from `min` to `max`; a bad value is a usage error
   * naming the option and its range. Beyond 2^53 a number no longer holds every integer
   * (`--seed 99999999999999999999` would be read as another seed), so no option goes there.
   */
  integer(name: string, min = 0, max = Number.MAX_SAFE_INTEGER): number | undefined {
    const v = this.string(name);
    if (v === undefined) return undefined;
    if (!/^-?\d+$/.test(v) || Number(v) < min)
      throw new UsageError(`--${name} needs a whole number${min > 0 ? ` of at least ${min}` : min === 0 ? " (0 or more)" : ""}, got '${v}'`);
    const n = Number(v);
    if (n > max || !Number.isSafeInteger(n)) {
      const top = max === Number.MAX_SAFE_INTEGER ? `${max} (2^53 - 1, the largest whole number held exactly)` : max.toLocaleString("en-US");
      throw new UsageError(`--${name} needs a whole number from ${min} to ${top}, got '${v}'`);
    }
    return n;
  }

  /** A decimal option (`--lr 0.01`). */
  number(name: string): number | undefined {
    const v = this.string(name);
    if (v === undefined) return undefined;
    const n = Number(v);
    if (v.trim() === "" || !Number.isFinite(n)) throw new UsageError(`--${name} needs a number, got '${v}'`);
    return n;
  }
}

export function parseArgs(argv: readonly string[], options: readonly OptionSpec[]): ParsedArgs {
  const positionals: string[] = [];
  const values = new Map<string, string | true>();
  const byLong = new Map(options.map((o) => [o.name, o]));
  const byShort = new Map(options.filter((o) => o.short).map((o) => [o.short!, o]));
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--") {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (arg === "-" || !arg.startsWith("-")) {
      positionals.push(arg);
      continue;
    }
    const long = arg.startsWith("--");
    const body = arg.slice(long ? 2 : 1);
    const eq = body.indexOf("=");
    const key = eq >= 0 ? body.slice(0, eq) : body;
    const spec = long ? byLong.get(key) : byShort.get(key);
    if (!spec) throw unknownOption(arg, key, options);
    if (spec.kind === "boolean") {
      if (eq >= 0) throw new UsageError(`--${spec.name} takes no value; write it alone`);
      values.set(spec.name, true);
      continue;
    }
    let value: string | undefined = eq >= 0 ? body.slice(eq + 1) : argv[i + 1];
    if (eq < 0) i++;
    if (value === undefined || (eq < 0 && value.startsWith("--")))
      throw new UsageError(`--${spec.name} needs a value: --${spec.name} ${spec.valueName ?? "VALUE"}`);
    values.set(spec.name, value);
  }
  return new ParsedArgs(positionals, values);
}

/**
 * Names other tools give the same setting (`--learning-rate` for `--lr`): spelling is too
 * far apart for the edit distance, so they are looked up by meaning. Each lists the options
 * it may mean, the first one the command has wins.
 */
const SYNONYMS: Record<string, readonly string[]> = {
  "learning-rate": ["lr"],
  learning_rate: ["lr"],
  learningrate: ["lr"],
  rate: ["lr"],
  "batch-size": ["batch"],
  batch_size: ["batch"],
  batchsize: ["batch"],
  bs: ["batch"],
  "num-epochs": ["epochs"],
  "n-epochs": ["epochs"],
  output: ["out", "save"],
  checkpoint: ["save", "weights"],
  ckpt: ["weights", "save"],
  load: ["weights", "init"],
  validation: ["val"],
  "validation-data": ["val"],
  dataset: ["data"],
  silent: ["quiet"],
};

function unknownOption(arg: string, key: string, options: readonly OptionSpec[]): UsageError {
  const names = new Set(options.map((o) => o.name));
  const guess = SYNONYMS[key.toLowerCase()]?.find((name) => names.has(name)) ?? suggest(key, names);
  const hint = guess ? ` (did you mean '--${guess}'?)` : options.length === 0 ? " (this command takes no options)" : "";
  return new UsageError(`unknown option '${arg}'${hint}`);
}

/** The options block of a command's help text. */
export function formatOptions(options: readonly OptionSpec[]): string {
  const rows = options.map((o) => {
    const names = `${o.short ? `-${o.short}, ` : ""}--${o.name}${o.kind === "string" ? ` ${o.valueName ?? "VALUE"}` : ""}`;
    return [names, o.doc] as const;
  });
  const width = Math.max(0, ...rows.map(([n]) => n.length));
  return rows.map(([n, d]) => `  ${n.padEnd(width)}  ${d}`).join("\n");
}
