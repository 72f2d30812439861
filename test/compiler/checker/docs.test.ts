// docs/language.md's generated tables must match the registry; UPDATE_DOCS=1 rewrites them.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";
import { layerEntries } from "../../../compiler/library/index.js";
import { diagnosticCodes } from "../../../compiler/diagnostic-codes.js";
import { fillGenerated, renderDiagnosticCodes, renderLibraryReference } from "../../../compiler/reference.js";

const file = join(import.meta.dirname, "../../../docs/language.md");

it("docs/language.md lists every library entry and checker code as the registry has them", () => {
  const doc = readFileSync(file, "utf8");
  const fresh = fillGenerated(fillGenerated(doc, "library", renderLibraryReference()), "codes", renderDiagnosticCodes());
  if (process.env.UPDATE_DOCS) writeFileSync(file, fresh);
  expect(doc, "docs/language.md is out of date: run UPDATE_DOCS=1 npx vitest run test/compiler/checker/docs.test.ts").toBe(fresh);
  for (const name of layerEntries.keys()) expect(doc).toContain(`| \`${name}\` |`);
});

it("no two diagnostics share a code, parser's and checker's alike", () => {
  const seen = diagnosticCodes.map((c) => c.code);
  expect(seen.filter((c, i) => seen.indexOf(c) !== i)).toEqual([]);
  expect(seen.filter((c) => !/^NN\d{4}$/.test(c))).toEqual([]);
});
