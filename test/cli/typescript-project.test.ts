// The journey of docs/typescript.md, walked as a user walks it: a project of its own, with
// neuron linked into node_modules as `npm install ../neuron` links it (so package.json
// "exports" and dist/ are what resolve, not the sources), its model compiled by the real
// CLI, the project type-checked and built by tsc, and run by node.
//
// The project's files ARE the page's titled code blocks, and its output must be the page's
// output block: the page cannot show code that does not compile or results it does not get.
// Needs a fresh dist/ (`npm run build`; `npm test` builds first).
import { execFile, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { nnc, repositoryRoot } from "./run-nnc.js";

const page = readFileSync(join(repositoryRoot, "docs/typescript.md"), "utf8");

interface CodeBlock {
  language: string;
  /** The `title="..."` of the opening fence: a file's path in the project, or "output". */
  title: string | null;
  text: string;
}

function codeBlocks(markdown: string): CodeBlock[] {
  return [...markdown.matchAll(/^```(\w*)([^\n]*)\n([\s\S]*?)^```$/gm)].map((m) => ({
    language: m[1]!,
    title: /title="([^"]+)"/.exec(m[2]!)?.[1] ?? null,
    text: m[3]!,
  }));
}

const blocks = codeBlocks(page);
const projectFiles = blocks.filter((b) => b.title !== null && b.title !== "output");
const shownOutput = blocks.find((b) => b.title === "output")?.text;

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * A package.json script run as npm runs it: `a && b`, each command's program found among the
 * project's installed bins. The bins are run with this Node rather than through the
 * node_modules/.bin links npm would make, which is the same program.
 */
function runScript(project: string, script: string): Run {
  const bins: Record<string, string[]> = {
    nnc: [join(project, "node_modules/neuron/bin/nnc.js")],
    tsc: [join(repositoryRoot, "node_modules/typescript/bin/tsc")],
    node: [],
  };
  let stdout = "";
  let stderr = "";
  for (const command of script.split(" && ")) {
    const [program, ...args] = command.split(" ");
    const prefix = bins[program!];
    if (prefix === undefined) throw new Error(`the test does not know how to run '${program}' (script: ${script})`);
    const r = spawnSync(process.execPath, [...prefix, ...args], { cwd: project, encoding: "utf8" });
    stdout += r.stdout;
    stderr += r.stderr;
    if (r.status !== 0) return { status: r.status, stdout, stderr };
  }
  return { status: 0, stdout, stderr };
}

/** Every module a compiled file loads, following relative imports and `neuron/runtime` as Node resolves it from the project. */
function importClosure(entry: string, project: string): { files: string[]; others: string[] } {
  const requireFromProject = createRequire(join(project, "package.json"));
  const files = new Set<string>();
  const others = new Set<string>();
  const visit = (file: string) => {
    if (files.has(file)) return;
    files.add(file);
    const text = readFileSync(file, "utf8");
    for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^;]*?from\s*"([^"]+)"|(?:^|\n)\s*import\s*"([^"]+)"/g)) {
      const specifier = (m[1] ?? m[2])!;
      if (specifier.startsWith(".")) visit(resolve(dirname(file), specifier));
      else if (specifier === "neuron/runtime") visit(requireFromProject.resolve(specifier));
      else others.add(specifier);
    }
  };
  visit(entry);
  return { files: [...files], others: [...others] };
}

describe("a TypeScript project using neuron, as docs/typescript.md builds it", () => {
  let project = "";
  let scripts: { build: string; start: string };

  beforeAll(() => {
    const built = ["dist/runtime/index.js", "dist/runtime/index.d.ts", "dist/cli/main.js"];
    for (const file of built) {
      if (!existsSync(join(repositoryRoot, file))) throw new Error(`${file} is missing: run \`npm run build\` before this test`);
    }
    project = mkdtempSync(join(tmpdir(), "nnc-ts-project-"));
    for (const block of projectFiles) {
      mkdirSync(dirname(join(project, block.title!)), { recursive: true });
      writeFileSync(join(project, block.title!), block.text);
    }
    copyFileSync(join(repositoryRoot, "examples/xor.nn"), join(project, "xor.nn"));
    // What `npm install ../neuron` and `npm install --save-dev @types/node` leave behind.
    mkdirSync(join(project, "node_modules/@types"), { recursive: true });
    symlinkSync(repositoryRoot, join(project, "node_modules/neuron"), "dir");
    symlinkSync(join(repositoryRoot, "node_modules/@types/node"), join(project, "node_modules/@types/node"), "dir");
    scripts = (JSON.parse(readFileSync(join(project, "package.json"), "utf8")) as { scripts: typeof scripts }).scripts;
  });

  afterAll(() => {
    if (project === "") return;
    // The links first (rm without `recursive` unlinks a link), so that removing the project
    // can never reach into the repository they point at.
    for (const link of ["node_modules/neuron", "node_modules/@types/node"]) rmSync(join(project, link), { force: true });
    rmSync(project, { recursive: true, force: true });
  });

  it("shows every file of the project, each TypeScript block titled with its path", () => {
    const untitled = blocks.filter((b) => b.language === "ts" && b.title === null);
    expect(untitled.map((b) => b.text.split("\n")[0])).toEqual([]);
    expect(projectFiles.map((b) => b.title).sort()).toEqual(
      ["package.json", "src/browser.ts", "src/main.ts", "src/weights-file.ts", "src/xor-data.ts", "tsconfig.json"],
    );
    expect(shownOutput).toBeDefined();
    const manifest = JSON.parse(readFileSync(join(project, "package.json"), "utf8")) as Record<string, unknown>;
    expect(manifest.type).toBe("module");
    expect(manifest.dependencies).toHaveProperty("neuron");
    const config = JSON.parse(readFileSync(join(project, "tsconfig.json"), "utf8")) as { compilerOptions: Record<string, unknown> };
    expect(config.compilerOptions).toMatchObject({ strict: true, noUncheckedIndexedAccess: true, module: "nodenext", moduleResolution: "nodenext" });
  });

  it("builds: nnc compiles the model into src/, tsc type-checks and emits the project without a diagnostic", () => {
    const build = runScript(project, scripts.build);
    expect(build.stderr).toBe("");
    expect(build.stdout).toBe("");
    expect(build.status).toBe(0);
    expect(readFileSync(join(project, "src/model.ts"), "utf8")).toMatch(/from "neuron\/runtime";/);
    expect(existsSync(join(project, "out/main.js"))).toBe(true);
  });

  it("starts: trains XOR to 100%, saves the weights, reloads them into a new model, and prints what the page shows", () => {
    const start = runScript(project, scripts.start);
    expect(start.stderr).toBe("");
    expect(start.status).toBe(0);
    expect(start.stdout).toMatch(/^loss [\d.]+, accuracy 1$/m);
    expect(start.stdout).toContain("the reloaded model predicts the same: true\n");
    expect(start.stdout).toBe(shownOutput);
  });

  it("saves weights that nnc eval accepts for the same model", async () => {
    const r = await nnc("eval", join(project, "xor.nn"), "--weights", join(project, "xor.safetensors"), "--data", join(repositoryRoot, "examples/xor.csv"), "--json");
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ accuracy: 1, samples: 4 });
  });

  describe("in a browser", () => {
    let server: Server;
    let url = "";

    beforeAll(async () => {
      server = createServer((request, response) => {
        if (request.url !== "/xor.safetensors") return void response.writeHead(404).end();
        response.writeHead(200, { "content-type": "application/octet-stream" }).end(readFileSync(join(project, "xor.safetensors")));
      });
      await new Promise<void>((listening) => server.listen(0, "127.0.0.1", listening));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(() => new Promise<void>((closed) => server.close(() => closed())));

    it("loads the saved weights with fetch and predicts what the trained model predicted", async () => {
      const predictOneByOne = `
        const { loadModel } = await import("./out/browser.js");
        const model = await loadModel(process.argv[1]);
        const cases = [[0, 0], [0, 1], [1, 0], [1, 1]];
        console.log("predictions " + cases.map((x) => model.predict({ x: Float32Array.from(x) }, 1).p[0].toFixed(3)).join(" "));`;
      const run = (target: string) =>
        promisify(execFile)(process.execPath, ["--input-type=module", "-e", predictOneByOne, target], { cwd: project, encoding: "utf8" });
      const { stdout } = await run(`${url}/xor.safetensors`);
      expect(stdout).toBe(shownOutput!.split("\n").find((line) => line.startsWith("predictions "))! + "\n");
      await expect(run(`${url}/missing.safetensors`)).rejects.toThrow(`${url}/missing.safetensors: 404 Not Found`);
    });

    it("imports nothing Node-only, through the emitted model and neuron/runtime alike", () => {
      const { files, others } = importClosure(join(project, "out/browser.js"), project);
      expect(others).toEqual([]);
      expect(files).toContain(join(project, "out/model.js"));
      expect(files).toContain(join(repositoryRoot, "dist/runtime/index.js"));
      expect(files.some((file) => file.includes("/runtime/node/"))).toBe(false);
    });
  });
});
