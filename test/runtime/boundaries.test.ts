// runtime/ is what emitted modules import, in Node and in browsers: outside runtime/node/
// it may import only its own files, and nothing anywhere in it may import the compiler.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const runtime = join(import.meta.dirname, "..", "..", "runtime");

function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  return [...text.matchAll(/(?:^|\n)\s*(?:import|export)[^;]*?from\s+"([^"]+)"/g)].map((m) => m[1]!);
}

describe("runtime boundaries", () => {
  const browserSafe = readdirSync(runtime).filter((f) => f.endsWith(".ts"));
  it.each(browserSafe)("runtime/%s imports only runtime files beside it", (file) => {
    for (const specifier of importsOf(join(runtime, file))) expect(specifier).toMatch(/^\.\/[\w.-]+\.js$/);
  });

  const nodeOnly = readdirSync(join(runtime, "node")).filter((f) => f.endsWith(".ts"));
  it.each(nodeOnly)("runtime/node/%s imports Node and the runtime, never the compiler", (file) => {
    for (const specifier of importsOf(join(runtime, "node", file))) expect(specifier).toMatch(/^(node:[\w/]+|\.\/[\w.-]+\.js|\.\.\/[\w.-]+\.js)$/);
  });
});
