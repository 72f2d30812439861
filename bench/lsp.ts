// Language-server latency on a 5,000-line file, over the real stdio protocol, as an editor
// sees it: diagnostics after an edit (target < 200 ms), hover and completion (< 50 ms).
// Then a file the checker takes seconds on (blocks inlined to 65,536 operations, under the
// 100,000 limit): time to its diagnostics, and hover latency while its check runs.
// Run from the repository root after `npm run build`:
//   npx tsc -p bench/tsconfig.json && node node_modules/.cache/neuron-bench/bench/lsp.js
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from "vscode-jsonrpc/node";

const root = process.cwd();
const serverScript = path.join(root, "bin/nnc.js");
if (!existsSync(serverScript) || !existsSync(path.join(root, "dist/lsp/server/main.js"))) {
  console.error("bench/lsp: run from the repository root after `npm run build`");
  process.exit(2);
}

/** The example models repeated under fresh names until the file has `lines` lines. */
function bigFile(lines: number): string {
  const sources = ["mnist_mlp", "mnist_cnn", "reverse", "xor"].map((n) => readFileSync(path.join(root, "examples", `${n}.nn`), "utf8"));
  const parts: string[] = [];
  let count = 0;
  for (let i = 0; count < lines; i++) {
    const text = sources[i % sources.length]!.replace(/\b(MnistMlp|MnistCnn|Reverse|Xor|FeedForward)\b/g, `$1_${i}`);
    parts.push(text);
    count += text.split("\n").length;
  }
  return parts.join("\n");
}

/** `depth` blocks, each calling the one before twice: 2^(depth-1) layer calls once inlined. */
function blockChain(depth: number): string {
  let text = "block B0 {\n  input x: [N]\n  output y = x |> dense(4)\n}\n";
  for (let i = 1; i < depth; i++) text += `block B${i} {\n  input x: [N]\n  output y = x |> B${i - 1} |> B${i - 1}\n}\n`;
  return `${text}model Heavy {\n  input x: [4]\n  target t: [4]\n  output y = x |> B${depth - 1}\n  loss mse(y, t)\n  optimizer sgd(lr: 0.1)\n}\n`;
}

function positionOf(text: string, offset: number): { line: number; character: number } {
  const before = text.slice(0, offset).split("\n");
  return { line: before.length - 1, character: before[before.length - 1]!.length };
}

const stats = (xs: number[]): string => {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number): number => s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
  return `median ${q(0.5).toFixed(1)} ms, p95 ${q(0.95).toFixed(1)} ms, max ${s[s.length - 1]!.toFixed(1)} ms (n=${s.length})`;
};

async function main(): Promise<void> {
  const child = spawn(process.execPath, [serverScript, "lsp", "--stdio"], { stdio: ["pipe", "pipe", "inherit"] });
  const connection = createMessageConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
  const published = new Map<number, () => void>();
  connection.onNotification("textDocument/publishDiagnostics", (p: { version?: number }) => published.get(p.version ?? -1)?.());
  connection.listen();
  await connection.sendRequest("initialize", { processId: process.pid, rootUri: null, capabilities: {} });
  await connection.sendNotification("initialized", {});

  const uri = "file:///big.nn";
  let text = bigFile(5000);
  const lineCount = text.split("\n").length;
  const diagnosed = (version: number): Promise<void> => new Promise((resolve) => published.set(version, resolve));

  let version = 1;
  let wait = diagnosed(version);
  let t = performance.now();
  await connection.sendNotification("textDocument/didOpen", { textDocument: { uri, languageId: "nn", version, text } });
  await wait;
  const openMs = performance.now() - t;

  // Edits in the middle of the file: retype one digit of a layer width.
  const editTimes: number[] = [];
  const target = text.indexOf("dense(128", Math.floor(text.length / 2)) + "dense(".length;
  for (let i = 0; i < 30; i++) {
    const digit = String(1 + (i % 9));
    const start = positionOf(text, target);
    text = text.slice(0, target) + digit + text.slice(target + 1);
    version++;
    wait = diagnosed(version);
    t = performance.now();
    await connection.sendNotification("textDocument/didChange", {
      textDocument: { uri, version },
      contentChanges: [{ range: { start, end: { line: start.line, character: start.character + 1 } }, text: digit }],
    });
    await wait;
    editTimes.push(performance.now() - t);
  }

  const hoverTimes: number[] = [];
  const completionTimes: number[] = [];
  const hidden = [...text.matchAll(/hidden \|>/g)].map((m) => m.index!);
  const pipes = [...text.matchAll(/\|> /g)].map((m) => m.index! + 3);
  for (let i = 0; i < 50; i++) {
    const h = positionOf(text, hidden[(i * 7) % hidden.length]! + 2);
    t = performance.now();
    await connection.sendRequest("textDocument/hover", { textDocument: { uri }, position: h });
    hoverTimes.push(performance.now() - t);
    const c = positionOf(text, pipes[(i * 13) % pipes.length]!);
    t = performance.now();
    await connection.sendRequest("textDocument/completion", { textDocument: { uri }, position: c });
    completionTimes.push(performance.now() - t);
  }

  // A heavy file: hover sent right after the open, while its check runs.
  const heavyUri = "file:///heavy.nn";
  const heavy = blockChain(16);
  const heavyDiagnosed = new Promise<void>((resolve) => published.set(1000, resolve));
  t = performance.now();
  await connection.sendNotification("textDocument/didOpen", { textDocument: { uri: heavyUri, languageId: "nn", version: 1000, text: heavy } });
  const heavyHoverTimes: number[] = [];
  const bigHoverTimes: number[] = [];
  let heavyDone = false;
  void heavyDiagnosed.then(() => (heavyDone = true));
  const heavyHover = positionOf(heavy, heavy.indexOf("input x: [4]") + 6);
  const bigHover = positionOf(text, hidden[0]! + 2);
  while (!heavyDone && heavyHoverTimes.length < 20) {
    let s = performance.now();
    await connection.sendRequest("textDocument/hover", { textDocument: { uri: heavyUri }, position: heavyHover });
    heavyHoverTimes.push(performance.now() - s);
    s = performance.now();
    await connection.sendRequest("textDocument/hover", { textDocument: { uri }, position: bigHover });
    bigHoverTimes.push(performance.now() - s);
  }
  await heavyDiagnosed;
  const heavyMs = performance.now() - t;

  const load = os.loadavg()[0]!.toFixed(2);
  console.log(`bench/lsp: ${lineCount}-line file, ${os.cpus().length} cores, load average ${load} at the end`);
  console.log(`  open -> diagnostics:   ${openMs.toFixed(1)} ms`);
  console.log(`  edit -> diagnostics:   ${stats(editTimes)}   (target < 200 ms)`);
  console.log(`  hover:                 ${stats(hoverTimes)}   (target < 50 ms)`);
  console.log(`  completion:            ${stats(completionTimes)}   (target < 50 ms)`);
  console.log(`  heavy file (65,536 operations): open -> diagnostics ${heavyMs.toFixed(0)} ms`);
  console.log(`    hover on it during its check:        ${stats(heavyHoverTimes)}`);
  console.log(`    hover on the 5,000-line file meanwhile: ${stats(bigHoverTimes)}`);
  await connection.sendRequest("shutdown");
  await connection.sendNotification("exit");
  connection.dispose();
  child.kill();
}

await main();
