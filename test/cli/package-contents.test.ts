// What `npm install neuron` gets: the built code every "exports" entry and the `nnc` bin point
// at, the README and LICENSE, the examples and docs — and not the sources, tests or benchmarks.
// Read from `npm pack --dry-run`, which applies package.json's "files" as a publish would; dist/
// is built by `npm test`'s pretest.

import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../../", import.meta.url));

interface PackageJson {
  bin: Record<string, string>;
  exports: Record<string, string | Record<string, string>>;
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
