// A TypeScript program over in-memory files, as a user's project compiles an emitted module:
// an ES module project (`"type": "module"`) with `neuron/runtime` mapped to the repo's runtime
// as the project's `paths` would map it, under plain `strict` or under the strictest flags
// such projects add to it (@tsconfig/strictest).

import { fileURLToPath } from "node:url";
import ts from "typescript";

const runtimeIndex = fileURLToPath(new URL("../../../runtime/index.ts", import.meta.url));

export const base: ts.CompilerOptions = {
  strict: true,
  noEmit: true,
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  lib: ["lib.es2022.d.ts"],
  types: [],
  skipLibCheck: true,
  allowImportingTsExtensions: true,
  paths: { "neuron/runtime": [runtimeIndex] },
};

/** What @tsconfig/strictest adds to `strict` (useUnknownInCatchVariables is in `strict` already). */
export const strictest: ts.CompilerOptions = {
  ...base,
  noUncheckedIndexedAccess: true,
  noUnusedLocals: true,
  noUnusedParameters: true,
  noImplicitReturns: true,
  noFallthroughCasesInSwitch: true,
  exactOptionalPropertyTypes: true,
  noImplicitOverride: true,
  noPropertyAccessFromIndexSignature: true,
  verbatimModuleSyntax: true,
  isolatedModules: true,
  useUnknownInCatchVariables: true,
};

/**
 * A program over the given files beside a package.json of `"type": "module"` (as in a user's
 * ES module project: verbatimModuleSyntax rejects `import` in a file Node would load as
 * CommonJS), and the diagnostics of those files alone: the runtime is type-checked with the
 * project (npm run typecheck).
 */
export function diagnostics(files: ReadonlyMap<string, string>, options: ts.CompilerOptions): string[] {
  const all = new Map([...files, ["/virtual/package.json", JSON.stringify({ type: "module" })]]);
  const host = ts.createCompilerHost(options);
  const readFile = host.readFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  const directoryExists = host.directoryExists?.bind(host);
  const getSourceFile = host.getSourceFile.bind(host);
  host.readFile = (f) => all.get(f) ?? readFile(f);
  host.fileExists = (f) => all.has(f) || fileExists(f);
  host.directoryExists = (d) => d === "/virtual" || (directoryExists?.(d) ?? false);
  host.getSourceFile = (f, language, onError) =>
    all.has(f) ? ts.createSourceFile(f, all.get(f)!, language) : getSourceFile(f, language, onError);
  const program = ts.createProgram([...files.keys()], options, host);
  return ts
    .getPreEmitDiagnostics(program)
    .filter((d) => d.file === undefined || files.has(d.file.fileName))
    .map((d) => {
      const where = d.file && d.start !== undefined ? `:${d.file.getLineAndCharacterOfPosition(d.start).line + 1}` : "";
      return `${d.file?.fileName ?? ""}${where}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`;
    });
}
