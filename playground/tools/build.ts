// Builds the playground into a folder of static files (default dist/playground/):
// index.html and style.css, main.js (the page: editor, checker, charts), worker.js (training),
// runtime.js (what the compiled model modules import, by URL), and mnist.bin (the digits of the
// `mnist` package, packed). `node .../build.js [OUT]` from the command line.

import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build, type Plugin } from "esbuild";
import { browserOnly } from "./browser-only.js";
import { root } from "./root.js";
import { MNIST_FILE, packMnist } from "./pack-mnist.js";

export const DEFAULT_OUT = join(root, "dist", "playground");

/** `examples/*.nn` as a module: the page's menu of examples. */
const examplesPlugin: Plugin = {
  name: "neuron-examples",
  setup(b) {
    b.onResolve({ filter: /^neuron-playground:examples$/ }, () => ({ path: "examples", namespace: "neuron-examples" }));
    b.onLoad({ filter: /.*/, namespace: "neuron-examples" }, () => {
      const folder = join(root, "examples");
      const examples = readdirSync(folder)
        .filter((f) => f.endsWith(".nn"))
        .sort()
        .map((f) => ({ name: basename(f, ".nn"), text: readFileSync(join(folder, f), "utf8") }));
      return { contents: `export default ${JSON.stringify(examples)};`, loader: "js", watchFiles: examples.map((e) => join(folder, `${e.name}.nn`)) };
    });
  },
};

export interface BuiltFile {
  name: string;
  bytes: number;
}

export async function buildPlayground(out: string = DEFAULT_OUT): Promise<BuiltFile[]> {
  mkdirSync(out, { recursive: true });
  await build({
    entryPoints: {
      main: join(root, "playground", "src", "main.ts"),
      worker: join(root, "playground", "src", "worker.ts"),
      runtime: join(root, "runtime", "index.ts"),
    },
    outdir: out,
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    minify: true,
    legalComments: "none",
    logLevel: "silent",
    plugins: [browserOnly, examplesPlugin],
  });
  for (const file of ["index.html", "style.css"]) copyFileSync(join(root, "playground", file), join(out, file));
  const mnist = join(out, MNIST_FILE);
  const digits = join(dirname(createRequire(import.meta.url).resolve("mnist/package.json")), "src", "digits");
  // 21 MB of JSON take a moment to parse: pack once, again only when the package changes.
  if (!existsSync(mnist) || statSync(mnist).mtimeMs < statSync(join(digits, "9.json")).mtimeMs) writeFileSync(mnist, packMnist(digits));
  return readdirSync(out)
    .sort()
    .map((name) => ({ name, bytes: statSync(join(out, name)).size }));
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const out = resolve(process.argv[2] ?? DEFAULT_OUT);
  try {
    const files = await buildPlayground(out);
    for (const f of files) console.log(`${f.name.padEnd(12)} ${(f.bytes / 1024).toFixed(0).padStart(6)} KiB`);
    console.log(`built the playground in ${out}`);
  } catch (error) {
    // esbuild has printed nothing (logLevel silent): its errors, one line each.
    const errors = (error as { errors?: { text: string; location?: { file: string; line: number } | null }[] }).errors;
    if (errors === undefined) throw error;
    for (const e of errors) console.error(`${e.location ? `${e.location.file}:${e.location.line}: ` : ""}${e.text}`);
    process.exit(1);
  }
}
