// A test client that talks to `nnc lsp --stdio` the way an editor does: a child process,
// JSON-RPC over its stdin and stdout, documents opened and edited by notifications.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { fileURLToPath } from "node:url";
import {
  createMessageConnection,
  StreamMessageReader,
  StreamMessageWriter,
  type MessageConnection,
} from "vscode-jsonrpc/node";
import type { Diagnostic, InitializeResult, TextDocumentContentChangeEvent } from "vscode-languageserver";

const root = fileURLToPath(new URL("../../", import.meta.url));

/** The server runs from dist/: build it when a source it depends on is newer (or it is missing). */
export function ensureBuilt(): void {
  const built = root + "dist/lsp/server/main.js";
  const newestSource = Math.max(
    ...["lsp/server", "compiler/format", "compiler/check", "cli", "grammar"].flatMap((dir) =>
      readdirSync(root + dir)
        .filter((f) => f.endsWith(".ts"))
        .map((f) => statSync(`${root}${dir}/${f}`).mtimeMs),
    ),
  );
  if (existsSync(built) && statSync(built).mtimeMs >= newestSource) return;
  const result = spawnSync(process.execPath, [root + "node_modules/typescript/bin/tsc", "-p", root + "tsconfig.build.json"], { cwd: root, encoding: "utf8" });
  if (!existsSync(built)) throw new Error(`could not build the server:\n${result.stdout}${result.stderr}`);
}

export interface PublishedDiagnostics {
  uri: string;
  version?: number;
  diagnostics: Diagnostic[];
}

export class TestClient {
  private readonly published: PublishedDiagnostics[] = [];
  private readonly waiters: Array<() => void> = [];
  readonly logs: string[] = [];
  private readonly versions = new Map<string, number>();

  private constructor(
    private readonly process: ChildProcess,
    readonly connection: MessageConnection,
  ) {
    connection.onNotification("textDocument/publishDiagnostics", (p: PublishedDiagnostics) => {
      this.published.push(p);
      for (const wake of this.waiters.splice(0)) wake();
    });
    connection.onNotification("window/logMessage", (p: { message: string }) => {
      this.logs.push(p.message);
    });
  }

  /** `env`: extra environment for the server (NNC_LSP_TRACE, NNC_LSP_CHECK_BUDGET_MS). */
  static async start(env: Record<string, string> = {}): Promise<{ client: TestClient; capabilities: InitializeResult }> {
    const child = spawn(process.execPath, [root + "bin/nnc.js", "lsp", "--stdio"], { cwd: root, stdio: ["pipe", "pipe", "inherit"], env: { ...process.env, ...env } });
    const connection = createMessageConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
    connection.listen();
    const client = new TestClient(child, connection);
    const capabilities = await client.request<InitializeResult>("initialize", { processId: process.pid, rootUri: null, capabilities: {} });
    await connection.sendNotification("initialized", {});
    return { client, capabilities };
  }

  request<R>(method: string, params: unknown): Promise<R> {
    return this.connection.sendRequest(method, params) as Promise<R>;
  }

  /** Opens a document and returns the diagnostics published for it. */
  async open(uri: string, text: string): Promise<Diagnostic[]> {
    this.versions.set(uri, 1);
    await this.connection.sendNotification("textDocument/didOpen", { textDocument: { uri, languageId: "nn", version: 1, text } });
    return this.diagnostics(uri, 1);
  }

  /** Sends one incremental change and returns its version. */
  async change(uri: string, changes: TextDocumentContentChangeEvent[]): Promise<number> {
    const version = (this.versions.get(uri) ?? 1) + 1;
    this.versions.set(uri, version);
    await this.connection.sendNotification("textDocument/didChange", { textDocument: { uri, version }, contentChanges: changes });
    return version;
  }

  /** Every version of `uri` that diagnostics were published for, in order. */
  publishedVersions(uri: string): number[] {
    return this.published.filter((p) => p.uri === uri).map((p) => p.version ?? 0);
  }

  /** Opens a document without waiting for its diagnostics. */
  async openNoWait(uri: string, text: string): Promise<void> {
    this.versions.set(uri, 1);
    await this.connection.sendNotification("textDocument/didOpen", { textDocument: { uri, languageId: "nn", version: 1, text } });
  }

  /** The diagnostics published for `uri` at `version` or later. */
  async diagnostics(uri: string, version: number, timeoutMs = 10_000): Promise<Diagnostic[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.published.filter((p) => p.uri === uri && (p.version ?? 0) >= version).pop();
      if (found) return found.diagnostics;
      if (Date.now() > deadline) throw new Error(`no diagnostics for ${uri} version ${version} within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
  }

  get exited(): boolean {
    return this.process.exitCode !== null;
  }

  async stop(): Promise<void> {
    try {
      await Promise.race([this.request("shutdown", null), new Promise((r) => setTimeout(r, 2000))]);
      await this.connection.sendNotification("exit");
    } catch {
      // The server may already be gone; killing it below is enough.
    }
    this.connection.dispose();
    this.process.kill();
  }
}
