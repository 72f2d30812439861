// The repository's root, whether these tools run from their sources (vitest) or compiled
// under .cache/playground-tools/ (`npm run playground`).
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

function findRoot(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    if (existsSync(join(dir, "playground", "index.html")) && existsSync(join(dir, "runtime", "index.ts"))) return dir;
    if (dirname(dir) === dir) throw new Error("cannot find the repository root (a folder with playground/index.html) above playground/tools");
  }
}

export const root = findRoot();
