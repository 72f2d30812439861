// The prettier plugin, driven through prettier's own API: the same layout as `nnc fmt`.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import * as prettier from "prettier";
import { describe, expect, it } from "vitest";
import { formatText } from "../../compiler/format/index.js";
import plugin from "../../compiler/format/prettier-plugin.js";

const example = (name: string): string => readFileSync(fileURLToPath(new URL(`../../examples/${name}`, import.meta.url)), "utf8");
const messy = "// tiny\nmodel M{input x:[2] // two\noutput y=x|>dense(1)|>sigmoid}";

describe("the prettier plugin", () => {
  it("formats with parser 'nn' exactly as the formatter does", async () => {
    const expected = formatText(messy);
    expect(expected.ok).toBe(true);
    expect(await prettier.format(messy, { parser: "nn", plugins: [plugin] })).toBe(expected.ok ? expected.text : "");
  });

  it("is chosen for a .nn file by its extension", async () => {
    const formatted = await prettier.format(messy, { filepath: "models/tiny.nn", plugins: [plugin] });
    expect(formatted).toBe("// tiny\nmodel M {\n  input  x: [2] // two\n  output y = x |> dense(1) |> sigmoid\n}\n");
  });

  it("leaves the examples as they are", async () => {
    for (const name of ["xor.nn", "mnist_mlp.nn", "reverse.nn"]) {
      expect(await prettier.format(example(name), { parser: "nn", plugins: [plugin] })).toBe(example(name));
    }
  });

  it("breaks pipes at 100 columns by default and at printWidth when given", async () => {
    const text = "model M {\n  input  x: [2]\n  output y = x |> dense(4) |> relu |> dense(1)\n}\n";
    expect(await prettier.format(text, { parser: "nn", plugins: [plugin] })).toBe(text);
    expect(await prettier.format(text, { parser: "nn", plugins: [plugin], printWidth: 30 })).toContain("  output y = x\n    |> dense(4)\n");
  });

  it("reports a syntax error with its line and column", async () => {
    await expect(prettier.format("model M {\n  h = x |> dense(4\n}\n", { parser: "nn", plugins: [plugin] })).rejects.toMatchObject({
      message: expect.stringContaining("expected ')'"),
      loc: { start: { line: 2, column: 19 } },
    });
  });
});
