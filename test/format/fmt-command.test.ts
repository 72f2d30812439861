// `nnc fmt`: print, --check and --write, on real files in a temporary directory.
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { run } from "../../cli/main.js";

const formatted = "model M {\n  input  x: [2]\n  output y = x |> dense(1)\n}\n";
const unformatted = "model M{input x:[2]\noutput y=x|>dense(1)}";
const broken = "model M {\n  output y = x |> dense(1\n}\n";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "nnc-fmt-"));
});

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

async function nnc(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const code = await run(argv, { stdout: { write: (t: string) => (stdout += t) }, stderr: { write: (t: string) => (stderr += t) } });
  return { code, stdout, stderr };
}

describe("nnc fmt", () => {
  it("--check passes every shipped example (the design's examples are the same files)", async () => {
    const examples = join(import.meta.dirname, "../../examples");
    const files = readdirSync(examples).filter((f) => f.endsWith(".nn")).map((f) => join(examples, f));
    expect(files.length).toBeGreaterThanOrEqual(4);
    expect(await nnc("fmt", "--check", ...files)).toEqual({ code: 0, stdout: "", stderr: "" });
  });

  it("prints the formatted text", async () => {
    expect(await nnc("fmt", file("a.nn", unformatted))).toEqual({ code: 0, stdout: formatted, stderr: "" });
  });

  it("--check exits 1 naming each unformatted file, and 0 when all are formatted", async () => {
    const bad = file("bad.nn", unformatted);
    const good = file("good.nn", formatted);
    const result = await nnc("fmt", "--check", bad, good);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`${bad}: not formatted; run \`nnc fmt --write ${bad}\`\n`);
    expect(await nnc("fmt", "--check", good)).toEqual({ code: 0, stdout: "", stderr: "" });
  });

  it("--write rewrites unformatted files in place and leaves no temporary file", async () => {
    const bad = file("bad.nn", unformatted);
    const good = file("good.nn", formatted);
    const before = statSync(good).mtimeMs;
    const result = await nnc("fmt", "--write", bad, good);
    expect(result.code).toBe(0);
    expect(readFileSync(bad, "utf8")).toBe(formatted);
    expect(statSync(good).mtimeMs).toBe(before);
    expect(readdirSync(dir).sort()).toEqual(["bad.nn", "good.nn"]);
  });

  it("reports syntax errors as diagnostics, exits 1 and does not touch the file", async () => {
    const path = file("broken.nn", broken);
    const result = await nnc("fmt", "--write", path);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(new RegExp(`^${path.replace(/[\\^$.*+?()[\]{}|]/g, "\\$&")}:2:\\d+: error: expected '\\)'`));
    expect(readFileSync(path, "utf8")).toBe(broken);
  });

  it("exits 2 on usage errors", async () => {
    expect((await nnc("fmt")).code).toBe(2);
    expect((await nnc("fmt", "--check", "--write", file("a.nn", formatted))).code).toBe(2);
    const missing = await nnc("fmt", join(dir, "missing.nn"));
    expect(missing).toMatchObject({ code: 2, stderr: expect.stringContaining("no such file") });
  });
});
