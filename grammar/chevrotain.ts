// Chevrotain, loaded from its single-file ES module build. The package's main entry is
// hundreds of small modules (lodash-es among them) that take about 0.6 s to import, longer
// than `nnc check` then spends on a file; the bundle is the same code of the same version and
// loads in a fraction of that. The package does not export the bundle's path, so it is found
// beside the entry point. Every value the grammar takes from Chevrotain comes through here,
// so that one copy of the library is loaded (token type indices are per copy).
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import type * as Chevrotain from "chevrotain";

const entry = pathToFileURL(createRequire(import.meta.url).resolve("chevrotain"));
const chevrotain = (await import(new URL("../chevrotain.mjs", entry).href)) as typeof Chevrotain;

export const { CstParser, EOF, Lexer, MismatchedTokenException, createToken, createTokenInstance, tokenLabel, tokenMatcher } =
  chevrotain;
