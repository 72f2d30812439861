// What `npm install neuron` gets: the built code every "exports" entry and the `nnc` bin point
// at, the README and LICENSE, the examples and docs — and not the sources, tests or benchmarks.
// Read from `npm pack --dry-run`, which applies package.json's "files" as a publish would; dist/
// is built by `npm test`'s pretest.

import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../../", import.meta.url));

interface PackageJson {
  bin: Record<string, string>;
  exports: Record<string, string | Record<string, string>>;
  scripts: Record<string, string>;
  dependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
}

const manifestOf = (folder: string) => JSON.parse(readFileSync(join(folder, "package.json"), "utf8")) as PackageJson;

/** Bytes of the files under `folder`. */
function folderBytes(folder: string): number {
  let total = 0;
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) total += folderBytes(path);
    else if (entry.isFile()) total += statSync(path).size;
  }
  return total;
}

/** The installed folders of `names` and of everything they depend on, as npm hoists them here. */
function dependencyClosure(names: readonly string[]): Set<string> {
  const seen = new Set<string>();
  const visit = (name: string) => {
    const folder = join(root, "node_modules", name);
    if (seen.has(folder) || !existsSync(folder)) return;
    seen.add(folder);
    for (const next of Object.keys(manifestOf(folder).dependencies ?? {})) visit(next);
  };
  names.forEach(visit);
  return seen;
}

function packedFiles(): Set<string> {
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  const out = execFileSync(npm, ["pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
  const [pack] = JSON.parse(out) as { files: { path: string }[] }[];
  return new Set(pack!.files.map((f) => f.path));
}

describe("the published package", () => {
  it("holds every file package.json points at, and none of the sources", () => {
    const files = packedFiles();
    const manifest = JSON.parse(readFileSync(`${root}package.json`, "utf8")) as PackageJson;
    const targets = [
      ...Object.values(manifest.bin),
      ...Object.values(manifest.exports).flatMap((entry) => (typeof entry === "string" ? [entry] : Object.values(entry))),
    ].map((path) => path.replace(/^\.\//, ""));
    for (const target of targets) expect(files, `${target} is not in the package`).toContain(target);
    for (const file of ["README.md", "LICENSE", "package.json", "examples/mnist_mlp.nn", "docs/language.md"]) expect(files).toContain(file);

    const unwanted = [...files].filter((f) => /^(test|bench|grammar|compiler|runtime|lsp)\//.test(f) || f.endsWith(".map") || (f.endsWith(".ts") && !f.endsWith(".d.ts") && !f.startsWith("examples/")));
    expect(unwanted).toEqual([]);
  });
});

describe("installing the package", () => {
  const manifest = manifestOf(root);

  it("runs no install script in the project that installs it (npm 11 warns about each)", () => {
    // npm runs preinstall, install and postinstall for every dependency, and prepare for one from a file, git or a folder.
    const installScripts = ["preinstall", "install", "postinstall", "prepare"].filter((name) => name in manifest.scripts);
    expect(installScripts).toEqual([]);
    // The checkout still builds itself on `npm ci` (postprepare runs only in the project's own root) and before packing.
    expect(manifest.scripts["postprepare"]).toBe(manifest.scripts["build"]);
    expect(manifest.scripts["prepack"]).toBe(manifest.scripts["build"]);
  });

  it("imports at run time only its dependencies, and they stay small", () => {
    const dependencies = new Set(Object.keys(manifest.dependencies ?? {}));
    const optional = new Set(Object.entries(manifest.peerDependenciesMeta ?? {}).filter(([, m]) => m.optional).map(([name]) => name));
    const files = (folder: string): string[] =>
      readdirSync(folder, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(folder, e.name)) : e.name.endsWith(".js") ? [join(folder, e.name)] : []));
    const imported = new Set<string>();
    for (const file of files(join(root, "dist"))) {
      for (const m of readFileSync(file, "utf8").matchAll(/^import [^;]*?from "([^".][^"]*)";$/gm)) {
        const spec = m[1]!;
        if (spec.startsWith("node:")) continue;
        imported.add(spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : spec.split("/")[0]!);
      }
    }
    // A static import of anything else would fail in a project that does not install it.
    expect([...imported].filter((name) => !dependencies.has(name))).toEqual([]);
    // The rest (mnist's digits, prettier) is loaded on demand and optional; the 77 MB install was mostly those.
    expect(optional).toEqual(new Set(["mnist", "prettier"]));
    const bytes = [...dependencyClosure([...dependencies])].reduce((sum, folder) => sum + folderBytes(folder), 0);
    expect(bytes).toBeLessThan(15 * 2 ** 20);
  });
});
