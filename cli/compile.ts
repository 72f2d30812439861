// `nnc compile FILE [-o OUT.ts] [--model NAME] [--dtype float32|float64] [--runtime SPEC]`:
// the model's standalone TypeScript module, laid out by prettier, on stdout or into OUT.ts
// (written atomically: a temporary file, then a rename).

import { basename, extname } from "node:path";
import { chooseBackend, DEFAULT_RUNTIME_IMPORT, emitModule, formatModule } from "../compiler/compile.js";
import { LoweringError } from "../compiler/ir/lower.js";
import { checkedModel, ModelSourceError } from "../compiler/model-source.js";
import { writeFileAtomic } from "../runtime/node/files.js";
import { UsageError } from "./args.js";
import type { Command } from "./command.js";
import { readSourceFile } from "./files.js";
import { refuseOverlaps, requireWritableFile } from "./output-paths.js";
import { backendOption, backendOptionSpec, reportingUserErrors } from "./model-run.js";

function dtypeOf(value: string | undefined): "float32" | "float64" {
  if (value === undefined || value === "float32" || value === "float64") return value ?? "float32";
  throw new UsageError(`--dtype must be float32 or float64, got '${value}'`);
}

export const compile: Command = {
  name: "compile",
  summary: "compile a model to a standalone TypeScript module",
  usage: "nnc compile FILE [-o OUT.ts] [--model NAME] [--dtype float32|float64] [--backend wasm|js]",
  details:
    "The module exports `info`, the model class and `create(options)`, and imports only the runtime " +
    `(\`${DEFAULT_RUNTIME_IMPORT}\` unless --runtime says otherwise). Without -o it goes to stdout. ` +
    "With --backend wasm (the default where this engine has SIMD and the model is float32) it carries its WebAssembly " +
    "kernels and keeps the JavaScript ones for engines without SIMD.",
  options: [
    { name: "out", short: "o", kind: "string", valueName: "OUT.ts", doc: "write the module here instead of stdout" },
    { name: "model", kind: "string", valueName: "NAME", doc: "the model to compile, when the file defines several" },
    { name: "dtype", kind: "string", valueName: "float32|float64", doc: "element type of every tensor (default float32)" },
    { name: "runtime", kind: "string", valueName: "SPEC", doc: `import specifier of the runtime (default ${DEFAULT_RUNTIME_IMPORT})` },
    backendOptionSpec,
  ],
  async run(args, io) {
    const [file, ...extra] = args.positionals;
    if (file === undefined) throw new UsageError("no file to compile: nnc compile FILE [-o OUT.ts]");
    if (extra.length > 0) throw new UsageError(`compile takes one file, got ${args.positionals.length}; run it once per file`);
    const dtype = dtypeOf(args.string("dtype"));
    const { backend, note } = chooseBackend(backendOption(args), dtype);
    const out = args.string("out");
    if (out !== undefined) refuseOverlaps([{ role: "the model", path: file }], [{ role: "-o", path: out }]);
    const text = await readSourceFile(file);
    return reportingUserErrors(io, async () => {
      if (out !== undefined) requireWritableFile(out, `${basename(file, extname(file))}.ts`);
      const graph = checkedModel(text, file, args.string("model"));
      const source = compiledOrLocated(file, () => emitModule(graph, { dtype, backend, runtimeImport: args.string("runtime") ?? DEFAULT_RUNTIME_IMPORT }));
      if (note !== null) io.stderr.write(`${note}\n`);
      const formatted = await formatModule(source);
      if (out === undefined) io.stdout.write(formatted);
      else writeFileAtomic(out, formatted);
      return 0;
    });
  },
};

/** A model the back end cannot compile, reported at its `.nn` place like every other error. */
function compiledOrLocated(file: string, emit: () => string): string {
  try {
    return emit();
  } catch (e) {
    if (e instanceof LoweringError) throw new ModelSourceError(e.located(file));
    throw e;
  }
}
