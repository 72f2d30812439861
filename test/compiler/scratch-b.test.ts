import { it } from "vitest";
import { readFileSync, readdirSync } from "node:fs";
import { checkText } from "../../compiler/check/index.js";
import { formatDiagnostic } from "../../compiler/diagnostics.js";
it("scratch", () => {
  for (const f of readdirSync("/tmp/inv")) {
    const text = readFileSync(`/tmp/inv/${f}`, "utf8");
    const r = checkText(text);
    console.log(r.diagnostics.filter(d => d.severity === "error").map((d) => formatDiagnostic(f, d)).join("\n    "));
  }
});
