// Every file in invalid/ must be rejected: its first line reads `// expect LINE:COL WORDS`,
// and the first error (by line, then column) must be there with WORDS in its message.
// The first four come from the shared design (shared/design/invalid/); the rest are ours.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { checkText } from "../../compiler/check/index.js";

const dir = join(import.meta.dirname, "invalid");
const files = readdirSync(dir).filter((f) => f.endsWith(".nn")).sort();

describe("invalid programs", () => {
  it("are at least 34: the 4 shared and 30 of our own", () => {
    expect(files.length).toBeGreaterThanOrEqual(34);
  });

  it.each(files)("%s reports its expected first error", (file) => {
    const text = readFileSync(join(dir, file), "utf8");
    const expectation = /^\/\/ expect (\d+):(\d+) (.+)$/m.exec(text.split("\n")[0]!);
    expect(expectation, "first line must read // expect L:C words").not.toBeNull();
    const [, line, column, words] = expectation!;
    const result = checkText(text, file);
    const first = result.diagnostics.find((d) => d.severity === "error");
    expect(first, "no error reported").toBeDefined();
    expect(`${first!.range.start.line}:${first!.range.start.column} ${first!.message}`).toContain(`${line}:${column} `);
    expect(first!.message).toContain(words!.trim());
    expect(result.models.map((m) => m.name)).toEqual([]);
  });
});

describe("suggestions", () => {
  it.each(files)("%s: a 'did you mean' comes with a fix that makes the replacement", (file) => {
    const text = readFileSync(join(dir, file), "utf8");
    for (const d of checkText(text, file).diagnostics) {
      const guess = /\(did you mean '([^']+)'\?\)/.exec(d.message);
      if (!guess) continue;
      expect(d.fix).toEqual({ range: d.range, replacement: guess[1], title: `Change to '${guess[1]}'` });
      const misspelt = text.slice(d.range.start.offset, d.range.end.offset);
      expect(d.message).toContain(`'${misspelt}'`);
    }
  });
});
