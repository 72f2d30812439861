// Every request handler runs inside a guard: a bug in a provider is logged to the editor's
// output panel and answered with an empty result, so that nothing a user types can stop the
// server from answering. Deliberate refusals (ResponseError, e.g. an invalid rename) pass.
import { ResponseError, type RemoteConsole } from "vscode-languageserver";

export function guarded<P extends unknown[], R>(console: RemoteConsole, name: string, fallback: R, handler: (...params: P) => R): (...params: P) => R {
  return (...params: P): R => {
    try {
      return handler(...params);
    } catch (error) {
      if (error instanceof ResponseError) throw error;
      const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
      console.error(`nnc lsp: ${name} failed; answering with an empty result.\n${detail}`);
      return fallback;
    }
  };
}
