// An example's model graph, as every part of the bench reads it.
import { readFileSync } from "node:fs";
import { checkText } from "../compiler/check/index.js";
import type { ModelGraph } from "../compiler/graph.js";

export function loadGraph(file: string): ModelGraph {
  const checked = checkText(readFileSync(file, "utf8"), file);
  const errors = checked.diagnostics.filter((d) => d.severity === "error");
  if (errors.length > 0 || checked.models.length === 0) {
    throw new Error(`${file} does not check: ${errors.map((d) => d.message).join("; ") || "no model"}`);
  }
  return checked.models[0]!;
}
