// Data modules as the built `nnc` runs them (spawned: a module that never settles is only
// noticed when the process's event loop runs dry, and the TypeScript loader hook is
// Node's, not vitest's). Every failure is one line naming the module, and where known the
// line and column, the sample and the field.
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { repositoryRoot, xorProject } from "./run-nnc.js";

const bin = join(repositoryRoot, "bin", "nnc.js");
const project = xorProject();
const privateTmp = mkdtempSync(join(tmpdir(), "nnc-tmp-"));

function trainOn(data: string): { code: number | null; stderr: string; stdout: string } {
  const r = spawnSync(process.execPath, [bin, "train", project.model, "--data", data, "--steps", "1", "-q"], {
    encoding: "utf8",
    timeout: 60_000,
    env: { ...process.env, TMPDIR: privateTmp },
  });
  return { code: r.status, stderr: r.stderr, stdout: r.stdout };
}

function module(name: string, text: string): string {
  const path = project.at(name);
  writeFileSync(path, text);
  return path;
}

const XOR_SAMPLES = "[{ x: [0, 1], y: [1] }, { x: [1, 0], y: [1] }, { x: [0, 0], y: [0] }, { x: [1, 1], y: [0] }]";

describe("data modules that fail to load say where and why, in one line", () => {
  it.each([
    ["syntax.mjs", "export const train = [\n  { x: [0, 1], y: [1] }\n  { x: [1, 0], y: [1] },\n];\n", ":3:3: syntax error in the data module: Unexpected token '{'"],
    ["syntax.ts", "export const train: object[] = [\n  { x: [0, 1], y: [1] }\n  { x: [1, 0], y: [1] },\n];\n", ":3:3: syntax error in the data module: ',' expected."],
    ["throw42.mjs", "export function train() { throw 42; }\n", ": train() failed: threw 42"],
    ["top42.mjs", "throw 42;\n", ": cannot load the data module: threw 42"],
    ["toperror.mjs", "const rows = [];\nrows.push(missing);\nexport const train = rows;\n", ":2:11: cannot load the data module: missing is not defined"],
    ["never.mjs", "await new Promise(() => {});\nexport const train = [];\n", ": the data module never finished loading (a top-level await of a promise that never settles?)"],
    ["pending.mjs", "export function train() { return new Promise(() => {}); }\n", ": train() returned a promise that never settles"],
    ["holes.mjs", "export const train = [ , , ];\n", ": train[0]: a sample must be an object with a field per input and target (x, y), got a hole (two commas in a row?)"],
  ])("%s", (name, text, message) => {
    const path = module(name, text);
    const r = trainOn(path);
    expect(r.stderr).toBe(`${path}${message}\n`);
    expect(r.code).toBe(1);
  });
});

describe("a TypeScript data module", () => {
  it("is transpiled to a private temporary folder, not beside the file, and keeps its relative imports and import.meta.url", () => {
    const folder = project.at("readonly-data");
    mkdirSync(folder);
    writeFileSync(join(folder, "rows.js"), `export const rows = ${XOR_SAMPLES};\n`);
    writeFileSync(
      join(folder, "data.ts"),
      [
        'import { readdirSync, readFileSync } from "node:fs";',
        'import { rows } from "./rows.js";',
        // Whatever the module sees beside itself while it loads: a temporary .mjs would show here.
        'const beside = readdirSync(new URL(".", import.meta.url)).sort().join(",");',
        'if (beside !== "data.ts,rows.js") throw new Error(`beside the module: ${beside}`);',
        'if (!readFileSync(new URL("./rows.js", import.meta.url), "utf8").includes("x: [0, 1]")) throw new Error("import.meta.url");',
        "export const train: object[] = rows;",
        "",
      ].join("\n"),
    );
    chmodSync(folder, 0o555);
    try {
      const r = trainOn(join(folder, "data.ts"));
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
    } finally {
      chmodSync(folder, 0o755);
    }
    expect(readdirSync(folder).sort()).toEqual(["data.ts", "rows.js"]);
    expect(readdirSync(privateTmp)).toEqual([]); // the temporary folder is removed
  });
});
