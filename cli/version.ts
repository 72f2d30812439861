// The version `nnc --version` prints: the one in the package's own package.json, found by
// walking up from this file, so it holds from the sources (vitest) and from dist/ alike.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export function packageVersion(): string {
  let folder = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    try {
      const manifest = JSON.parse(readFileSync(join(folder, "package.json"), "utf8")) as { name?: unknown; version?: unknown };
      if (manifest.name === "neuron" && typeof manifest.version === "string") return manifest.version;
    } catch {
      // No readable package.json here: look further up.
    }
    const parent = dirname(folder);
    if (parent === folder) return "unknown";
    folder = parent;
  }
}
