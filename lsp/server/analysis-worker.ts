// The thread that runs the checker for the language server, so that a slow check never holds
// up the server's requests. It answers one check at a time; the server terminates it when the
// check is superseded by an edit or runs past its time budget (analysis-scheduler.ts).
import { parentPort } from "node:worker_threads";
import { checkText } from "../../compiler/check/index.js";
import type { Diagnostic } from "../../compiler/diagnostics.js";
import { ParseCache } from "../../grammar/index.js";

export interface CheckRequest {
  uri: string;
  version: number;
  text: string;
}

export interface CheckReply {
  uri: string;
  version: number;
  diagnostics: Diagnostic[];
  ms: number;
}

// Kept across versions of each document: an edit re-parses only the items it touches.
const parseCaches = new Map<string, ParseCache>();

parentPort?.on("message", (request: CheckRequest | { forget: string }) => {
  if ("forget" in request) {
    parseCaches.delete(request.forget);
    return;
  }
  let parseCache = parseCaches.get(request.uri);
  if (!parseCache) parseCaches.set(request.uri, (parseCache = new ParseCache()));
  const started = performance.now();
  const { diagnostics } = checkText(request.text, request.uri, { parseCache });
  const reply: CheckReply = { uri: request.uri, version: request.version, diagnostics, ms: performance.now() - started };
  parentPort!.postMessage(reply);
});

// Loading the checker takes a while on a fresh thread: the time budget starts after it.
parentPort?.postMessage("ready");
