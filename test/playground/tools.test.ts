// The playground's build and server, without a browser: Node-only imports fail the build with
// the importer named, the bundles stay small (no ts-morph or prettier inside), the server
// serves only its folder and only on 127.0.0.1, and the page's MNIST split is the CLI's.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { browserOnly } from "../../playground/tools/browser-only.js";
import { buildPlayground } from "../../playground/tools/build.js";
import { packMnist } from "../../playground/tools/pack-mnist.js";
import { resolveRequest, startServer } from "../../playground/tools/serve.js";
import { mnistSplit, unpack } from "../../playground/src/mnist.js";
import type { ModelInfo } from "../../runtime/model.js";
import { loadMnist } from "../../runtime/node/mnist.js";

const root = join(import.meta.dirname, "..", "..");

async function bundleErrors(source: string): Promise<string[]> {
  try {
    await build({ stdin: { contents: source, resolveDir: join(root, "playground", "src"), loader: "ts" }, bundle: true, write: false, platform: "browser", format: "esm", logLevel: "silent", plugins: [browserOnly] });
    return [];
  } catch (error) {
    return (error as { errors: { text: string }[] }).errors.map((e) => e.text);
  }
}

describe("the playground's build", () => {
  it("fails on a Node module, on runtime/node/ and on the Node-only tools, naming the importer", async () => {
    expect(await bundleErrors(`import { readFileSync } from "node:fs"; console.log(readFileSync);`)).toEqual([expect.stringMatching(/^<stdin> imports node:fs: a Node module; the playground runs in a browser/)]);
    expect(await bundleErrors(`import { tmpdir } from "os"; console.log(tmpdir);`)).toEqual([expect.stringContaining("imports os: a Node module")]);
    expect(await bundleErrors(`import { loadMnist } from "../../runtime/node/mnist.js"; console.log(loadMnist);`)).toEqual([expect.stringContaining("runtime/node/ is Node-only")]);
    expect(await bundleErrors(`import { Project } from "ts-morph"; console.log(Project);`)).toEqual([expect.stringContaining("imports ts-morph: a Node-only package")]);
    // Reached through the compiler: compiler/load.ts caches modules on disk.
    expect(await bundleErrors(`import { loadModel } from "../../compiler/load.js"; console.log(loadModel);`)).toContainEqual(expect.stringMatching(/^compiler\/load\.ts imports node:crypto: a Node module/));
    // What the page does use bundles cleanly.
    expect(await bundleErrors(`import { checkText } from "../../compiler/check/index.js"; import { emitModule } from "../../compiler/compile.js"; console.log(checkText, emitModule);`)).toEqual([]);
  });

  let out: string;
  beforeAll(() => {
    out = mkdtempSync(join(tmpdir(), "nnc-playground-build-"));
  });
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it("writes the page, its three bundles and the packed digits; the code stays under 1 MB", async () => {
    const files = await buildPlayground(out);
    expect(files.map((f) => f.name)).toEqual(["index.html", "main.js", "mnist.bin", "runtime.js", "style.css", "worker.js"]);
    const code = files.filter((f) => f.name.endsWith(".js")).reduce((n, f) => n + f.bytes, 0);
    // ts-morph alone is 13 MB and prettier 12 MB: a bundle that pulled either would be far above this.
    expect(code).toBeLessThan(1024 * 1024);
    expect(readFileSync(join(out, "index.html"), "utf8")).toContain('src="main.js"');
    const worker = readFileSync(join(out, "worker.js"), "utf8");
    expect(worker).not.toContain("createRequire(import.meta.url)");
  });
});

describe("the playground's server", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "nnc-serve-"));
    mkdirSync(join(dir, "site"));
    writeFileSync(join(dir, "site", "index.html"), "<p>hello</p>");
    writeFileSync(join(dir, "secret.txt"), "secret");
    symlinkSync(join(dir, "secret.txt"), join(dir, "site", "link.txt"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("maps request paths to files of its folder only", () => {
    const site = join(dir, "site");
    expect(resolveRequest(site, "/")).toEqual({ file: join(site, "index.html") });
    expect(resolveRequest(site, "/index.html?x=1")).toEqual({ file: join(site, "index.html") });
    expect(resolveRequest(site, "/missing.js")).toEqual({ status: 404 });
    for (const path of ["/../secret.txt", "/%2e%2e/secret.txt", "/%2E%2E%2Fsecret.txt", "/a/%2e%2e/%2e%2e/secret.txt"]) expect(resolveRequest(site, path)).toEqual({ status: 403 });
    expect(resolveRequest(site, "/link.txt")).toEqual({ status: 403 });
    expect(resolveRequest(site, "/%00")).toEqual({ status: 400 });
    expect(resolveRequest(site, "/..%5csecret.txt")).toEqual({ status: 400 });
  });

  it("listens on 127.0.0.1 only and answers GET and HEAD", async () => {
    const { server, url } = await startServer(join(dir, "site"));
    try {
      expect((server.address() as AddressInfo).address).toBe("127.0.0.1");
      const port = (server.address() as AddressInfo).port;
      const send = (method: string, path: string) =>
        new Promise<{ status: number; body: string; isolation?: string[] }>((done, fail) => {
          const r = request({ host: "127.0.0.1", port, method, path }, (response) => {
            let body = "";
            response.on("data", (chunk: Buffer) => (body += chunk.toString()));
            const isolation = [response.headers["cross-origin-opener-policy"], response.headers["cross-origin-embedder-policy"]].map(String);
            response.on("end", () => done({ status: response.statusCode!, body, ...(response.statusCode === 200 ? { isolation } : {}) }));
          });
          r.on("error", fail);
          r.end();
        });
      expect(url).toBe(`http://127.0.0.1:${port}/`);
      // The headers that make the page cross-origin isolated, so its kernels may use threads.
      expect(await send("GET", "/")).toEqual({ status: 200, body: "<p>hello</p>", isolation: ["same-origin", "require-corp"] });
      expect((await send("GET", "/../secret.txt")).status).toBe(403);
      expect((await send("GET", "/%2e%2e/secret.txt")).status).toBe(403);
      expect((await send("POST", "/")).status).toBe(405);
    } finally {
      await new Promise((done) => server.close(done));
    }
  });
});

describe("the page's MNIST", () => {
  it("splits the packed digits exactly as `nnc train --data mnist` does", () => {
    const digits = join(dirname(createRequire(import.meta.url).resolve("mnist/package.json")), "src", "digits");
    const packed = unpack(packMnist(digits));
    const info: ModelInfo = {
      name: "M",
      dtype: "float32",
      inputs: [{ name: "image", shape: [784], kind: "float" }],
      targets: [{ name: "digit", shape: [], kind: "int", vocab: 10 }],
      outputs: [],
      params: [],
      losses: [],
      optimizer: null,
      train: {},
    };
    const page = mnistSplit(packed, "image", "digit", "float32");
    const cli = loadMnist(info);
    expect([page.train.size, page.test.size]).toEqual([8000, 2000]);
    expect(page.train.targets.digit).toEqual(cli.train.targets.digit);
    expect(page.test.targets.digit).toEqual(cli.test.targets.digit);
    // Pixels are packed as bytes: within half a grey level of the package's values.
    const a = page.test.inputs.image!;
    const b = cli.test.inputs.image!;
    let worst = 0;
    for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
    expect(worst).toBeLessThanOrEqual(0.5 / 255 + 1e-6);
  });
});
