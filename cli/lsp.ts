// `nnc lsp --stdio`: the language server, speaking LSP over stdin and stdout. Loaded on
// demand so that the other commands never pay for the server's dependencies.
import { UsageError } from "./args.js";
import type { Command } from "./command.js";

export const lsp: Command = {
  name: "lsp",
  summary: "run the language server for editors (LSP over stdin/stdout)",
  usage: "nnc lsp --stdio",
  details: "Started by an editor, not by hand: the VS Code extension in lsp/vscode runs it. Writes nothing but protocol messages to stdout.",
  options: [
    { name: "stdio", kind: "boolean", doc: "talk over stdin and stdout (the only transport, and the default)" },
  ],
  async run(args) {
    if (args.positionals.length > 0) throw new UsageError(`lsp takes no files (got '${args.positionals[0]}'); the editor sends them`);
    const { startServer } = await import("../lsp/server/main.js");
    await startServer({ input: process.stdin, output: process.stdout });
    return 0;
  },
};
