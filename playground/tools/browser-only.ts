// The esbuild plugin that keeps the playground's bundles browser-only: any import of a Node
// module (node:fs, path, ...), of runtime/node/, or of the Node-only tools the compiler can
// reach (ts-morph, prettier, typescript) fails the build, naming the importer. Three imports
// are known and replaced on purpose:
// - grammar/chevrotain.ts finds Chevrotain's single-file build through node:module; the page
//   imports that same build directly (shims/chevrotain.ts);
// - compiler/compile.ts imports prettier only in formatModule: the page never formats, so it
//   gets a stub that says so if ever called;
// - the language server's providers import values of "vscode-languageserver" that live in
//   the browser-safe "vscode-languageserver-types".

import { createRequire } from "node:module";
import { dirname, join, resolve, sep } from "node:path";
import type { Plugin } from "esbuild";
import { root } from "./root.js";

const require = createRequire(import.meta.url);
const shims = join(root, "playground", "src", "shims");

const NODE_BUILTINS = new Set(["assert", "buffer", "child_process", "crypto", "events", "fs", "fs/promises", "http", "https", "module", "net", "os", "path", "process", "readline", "stream", "timers", "tty", "url", "util", "v8", "vm", "worker_threads", "zlib"]);
const NODE_ONLY_PACKAGES = new Set(["ts-morph", "prettier", "typescript", "vscode-languageserver/node"]);

function inRepo(path: string, ...parts: string[]): boolean {
  return path === join(root, ...parts) || path.startsWith(join(root, ...parts) + sep);
}

export const browserOnly: Plugin = {
  name: "neuron-browser-only",
  setup(build) {
    build.onResolve({ filter: /.*/ }, (args) => {
      const importer = args.importer;
      const from = importer === "" ? "the entry point" : importer.startsWith(root) ? importer.slice(root.length + 1) : importer;
      const refuse = (why: string) => ({ errors: [{ text: `${from} imports ${args.path}: ${why}; the playground runs in a browser (playground/tools/browser-only.ts)` }] });

      if (args.path.endsWith("/chevrotain.js") && inRepo(args.resolveDir, "grammar")) return { path: join(shims, "chevrotain.ts") };
      if (args.path === "chevrotain") return { path: join(dirname(require.resolve("chevrotain")), "..", "chevrotain.mjs") };
      if (args.path === "vscode-languageserver") return { path: require.resolve("vscode-languageserver-types").replace(/umd([/\\])main\.js$/, "esm$1main.js") };
      if (args.path === "prettier" && importer === join(root, "compiler", "compile.ts")) return { path: join(shims, "no-prettier.ts") };

      const bare = args.path.startsWith("node:") ? args.path.slice(5) : args.path;
      if (args.path.startsWith("node:") || NODE_BUILTINS.has(bare)) return refuse("a Node module");
      if (NODE_ONLY_PACKAGES.has(args.path) || [...NODE_ONLY_PACKAGES].some((p) => args.path.startsWith(`${p}/`))) return refuse("a Node-only package");
      if (args.path.startsWith(".") && inRepo(resolve(args.resolveDir, args.path), "runtime", "node")) return refuse("runtime/node/ is Node-only");
      return undefined;
    });
  },
};
