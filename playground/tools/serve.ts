// The playground's static file server: 127.0.0.1 only, GET and HEAD only, files under its
// root folder only (a path that leaves it, through `..`, an encoded `..` or a symlink, is
// refused). `node .../serve.js [--port N] [ROOT]` prints the URL; Ctrl-C stops it.
// Every response says Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy:
// require-corp, which make the page cross-origin isolated: only then does a browser give it
// SharedArrayBuffer, which the kernels' worker threads share their memory through. Everything
// the page loads is its own (same-origin), so require-corp blocks nothing; the training worker
// must say require-corp too, or an isolated page may not load it.

import { createReadStream, realpathSync, statSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { extname, join, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { DEFAULT_OUT } from "./build.js";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".bin": "application/octet-stream",
  ".png": "image/png",
};

/** The file a request path names, or why not. */
export function resolveRequest(root: string, url: string): { file: string } | { status: 400 | 403 | 404 } {
  // Read as sent: new URL() would fold `/../` away, and a request that tries one is refused, not reinterpreted.
  const raw = url.split(/[?#]/, 1)[0]!;
  let path: string;
  try {
    path = decodeURIComponent(raw);
  } catch {
    return { status: 400 };
  }
  if (!path.startsWith("/") || path.includes("\0") || path.includes("\\")) return { status: 400 };
  if (path.split("/").includes("..")) return { status: 403 };
  const realRoot = realpathSync(root);
  const wanted = resolve(realRoot, `.${path.endsWith("/") ? `${path}index.html` : path}`);
  let real: string;
  try {
    real = realpathSync(wanted);
  } catch {
    return { status: 404 };
  }
  if (!real.startsWith(realRoot + sep)) return { status: 403 };
  try {
    if (!statSync(real).isFile()) return { status: 404 };
  } catch {
    return { status: 404 };
  }
  return { file: real };
}

/** The headers that make the page cross-origin isolated (threads in the browser). */
export const ISOLATION_HEADERS = { "cross-origin-opener-policy": "same-origin", "cross-origin-embedder-policy": "require-corp" } as const;

/** `isolated: false` leaves out ISOLATION_HEADERS, for the test of a page without threads. */
export function startServer(root: string, port = 0, options: { isolated?: boolean } = {}): Promise<{ server: Server; url: string }> {
  const isolation = options.isolated === false ? {} : ISOLATION_HEADERS;
  const server = createServer((request, response) => {
    if (request.method !== "GET" && request.method !== "HEAD") {
      response.writeHead(405, { allow: "GET, HEAD" }).end();
      return;
    }
    const found = resolveRequest(root, request.url ?? "/");
    if ("status" in found) {
      response.writeHead(found.status, { "content-type": "text/plain" }).end(found.status === 404 ? "not found\n" : "refused\n");
      return;
    }
    response.writeHead(200, {
      "content-type": TYPES[extname(found.file)] ?? "application/octet-stream",
      "content-length": statSync(found.file).size,
      "cache-control": "no-cache",
      "x-content-type-options": "nosniff",
      ...isolation,
    });
    if (request.method === "HEAD") response.end();
    else createReadStream(found.file).pipe(response);
  });
  return new Promise((done, fail) => {
    server.once("error", fail);
    server.listen(port, "127.0.0.1", () => {
      const { port: bound } = server.address() as AddressInfo;
      done({ server, url: `http://127.0.0.1:${bound}/` });
    });
  });
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const portAt = args.indexOf("--port");
  const port = portAt >= 0 ? Number(args[portAt + 1]) : 8080;
  const rest = args.filter((_, i) => i !== portAt && i !== portAt + 1);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`--port must be a whole number from 0 to 65535, got '${args[portAt + 1] ?? ""}'`);
    process.exit(2);
  }
  const root = resolve(rest[0] ?? DEFAULT_OUT);
  try {
    const { url } = await startServer(root, port);
    console.log(`the playground is at ${url} (serving ${join(root)}; Ctrl-C stops)`);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    console.error(code === "EADDRINUSE" ? `port ${port} is in use: try --port ${port + 1} (or --port 0 for any free one)` : (error as Error).message);
    process.exit(1);
  }
}
