// The invariants of docs/architecture.md, held by reading the import statements of every
// source file (static, type-only, re-exports and dynamic `import("...")` alike). A rule that
// fails names the importing file and what it imports. The runtime's own rules (browser-safe
// outside runtime/node/) are in test/runtime/boundaries.test.ts.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { dirname, join, relative, resolve, sep } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const root = resolve(import.meta.dirname, "..");
const skipped = new Set(["node_modules", "dist", "coverage", "tmp"]);

function sourceFiles(dir: string): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name.startsWith(".") || skipped.has(entry.name)) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...sourceFiles(path));
    else if (/\.(ts|js|mjs)$/.test(entry.name) && !entry.name.endsWith(".d.ts")) files.push(path);
  }
  return files;
}

/** Repository-relative, `/`-separated. */
const rel = (path: string) => relative(root, path).split(sep).join("/");

interface Import {
  from: string;
  /** The repository file it names (`.js` mapped back to its `.ts` source), or undefined for a package. */
  target?: string;
  /** The package or Node builtin it names, for a bare specifier. */
  packageName?: string;
  specifier: string;
}

function importsOf(file: string): Import[] {
  const text = readFileSync(file, "utf8");
  const { importedFiles } = ts.preProcessFile(text, true, true);
  return importedFiles.map(({ fileName: specifier }) => {
    const from = rel(file);
    if (!specifier.startsWith(".")) {
      const parts = specifier.split("/");
      const packageName = specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0]!;
      return { from, specifier, packageName };
    }
    const absolute = resolve(dirname(file), specifier);
    const source = absolute.replace(/\.js$/, ".ts");
    return { from, specifier, target: rel(existsSync(source) ? source : absolute) };
  });
}

const files = sourceFiles(root).filter((f) => rel(f).includes("/"));
const imports = files.flatMap(importsOf);

/** The top-level folder a file belongs to, as the rules speak of them. */
function area(path: string): string {
  return path.split("/")[0]!;
}

const within = (path: string | undefined, ...folders: string[]) =>
  path !== undefined && folders.some((f) => path.startsWith(f + "/"));

function violations(rule: (i: Import) => boolean): string[] {
  return imports.filter(rule).map((i) => `${i.from} imports ${i.specifier}`);
}

const isBuiltin = (name: string) => name.startsWith("node:") || builtinModules.includes(name);

describe("architecture", () => {
  it("reads the imports of every folder it rules on", () => {
    const seen = new Set(imports.map((i) => area(i.from)));
    for (const folder of ["grammar", "cli", "lsp", "runtime", "reference", "bench", "test"]) {
      expect(seen, folder).toContain(folder);
    }
  });

  it("grammar/ stands alone: it imports only its own files, chevrotain and Node", () => {
    expect(
      violations(
        (i) =>
          i.from.startsWith("grammar/") &&
          (i.target !== undefined ? !within(i.target, "grammar") : i.packageName !== "chevrotain" && !isBuiltin(i.packageName!)),
      ),
    ).toEqual([]);
  });

  it("compiler/ never imports the command line or the language server", () => {
    expect(violations((i) => area(i.from) === "compiler" && i.target !== undefined && ["cli", "lsp"].includes(area(i.target)))).toEqual([]);
  });

  it("lsp/ never imports the back end (compiler/ir, compiler/emit), even through another module", () => {
    const byFile = new Map<string, string[]>();
    for (const i of imports) if (i.target !== undefined) byFile.set(i.from, [...(byFile.get(i.from) ?? []), i.target]);
    const reached = new Map<string, string>(); // file -> the lsp file whose imports first led there
    const queue = files.map(rel).filter((f) => f.startsWith("lsp/"));
    for (const f of queue) reached.set(f, f);
    while (queue.length > 0) {
      const file = queue.shift()!;
      for (const target of byFile.get(file) ?? []) {
        if (!reached.has(target)) {
          reached.set(target, file);
          queue.push(target);
        }
      }
    }
    const backEnd = [...reached.keys()].filter((f) => within(f, "compiler/ir", "compiler/emit"));
    const chains = backEnd.map((f) => {
      const chain = [f];
      while (!chain[0]!.startsWith("lsp/")) chain.unshift(reached.get(chain[0]!)!);
      return chain.join(" -> ");
    });
    expect(chains).toEqual([]);
  });

  it("runtime/ imports nothing outside runtime/", () => {
    expect(violations((i) => i.from.startsWith("runtime/") && i.target !== undefined && !within(i.target, "runtime"))).toEqual([]);
  });

  it("nothing outside test/ imports test/ (bench/ and reference/ included)", () => {
    expect(violations((i) => area(i.from) !== "test" && within(i.target, "test"))).toEqual([]);
  });

  it("no import cycle between folders", () => {
    const edges = new Map<string, Set<string>>();
    for (const i of imports) {
      if (i.target === undefined) continue;
      const [a, b] = [area(i.from), area(i.target)];
      if (a !== b) edges.set(a, (edges.get(a) ?? new Set()).add(b));
    }
    const cycles: string[] = [];
    const state = new Map<string, "open" | "done">();
    const visit = (folder: string, path: string[]) => {
      state.set(folder, "open");
      for (const next of edges.get(folder) ?? []) {
        if (state.get(next) === "open") cycles.push([...path.slice(path.indexOf(next)), next].join(" -> "));
        else if (!state.has(next)) visit(next, [...path, next]);
      }
      state.set(folder, "done");
    };
    for (const folder of edges.keys()) if (!state.has(folder)) visit(folder, [folder]);
    expect(cycles).toEqual([]);
  });
});
