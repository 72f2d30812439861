// The VS Code side of Neuron: starts `nnc lsp --stdio` for .nn files and connects a
// language client to it. Everything else (diagnostics, hover, completion, formatting...)
// comes from the server, so the editor and `nnc check` / `nnc fmt` always agree.
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const vscode = require("vscode");
const { LanguageClient, TransportKind } = require("vscode-languageclient/node");

/** @type {LanguageClient | undefined} */
let client;

/**
 * Where `nnc` is: the `neuron.serverPath` setting, else the workspace's own install
 * (node_modules/.bin/nnc), else `nnc` on the PATH.
 * @returns {{ kind: "module" | "command", path: string }}
 */
function resolveServer() {
  const configured = vscode.workspace.getConfiguration("neuron").get("serverPath", "").trim();
  if (configured) {
    const absolute = path.isAbsolute(configured) || !vscode.workspace.workspaceFolders
      ? configured
      : path.join(vscode.workspace.workspaceFolders[0].uri.fsPath, configured);
    return { kind: absolute.endsWith(".js") ? "module" : "command", path: absolute };
  }
  for (const folder of vscode.workspace.workspaceFolders ?? []) {
    const script = path.join(folder.uri.fsPath, "node_modules", "neuron", "bin", "nnc.js");
    if (fs.existsSync(script)) return { kind: "module", path: script };
    const bin = path.join(folder.uri.fsPath, "node_modules", ".bin", process.platform === "win32" ? "nnc.cmd" : "nnc");
    if (fs.existsSync(bin)) return { kind: "command", path: bin };
  }
  return { kind: "command", path: process.platform === "win32" ? "nnc.cmd" : "nnc" };
}

/** @param {vscode.ExtensionContext} context */
async function activate(context) {
  const server = resolveServer();
  // A .js entry point runs on VS Code's own Node; an executable is spawned as it is.
  const serverOptions =
    server.kind === "module"
      ? { module: server.path, args: ["lsp"], transport: TransportKind.stdio }
      : { command: server.path, args: ["lsp", "--stdio"], options: { shell: process.platform === "win32" } };
  client = new LanguageClient(
    "neuron",
    "Neuron language server",
    serverOptions,
    { documentSelector: [{ language: "nn" }], outputChannelName: "Neuron" },
  );
  try {
    await client.start();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    void vscode.window.showErrorMessage(
      `Neuron: could not start the language server '${server.path}' (${message}). Install neuron in the workspace (npm install neuron) or set neuron.serverPath.`,
    );
  }
  context.subscriptions.push({ dispose: () => client?.stop() });
}

function deactivate() {
  return client?.stop();
}

module.exports = { activate, deactivate };
