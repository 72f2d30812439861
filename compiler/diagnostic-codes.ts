// One table of every diagnostic code, the parser's and the checker's, as TypeScript's
// diagnosticMessages.json serves its scanner and checker: docs/language.md's table is
// rendered from it (reference.ts) and a test keeps codes unique. The parser's codes live in
// grammar/ (which stands alone); the checker's in check/codes.ts.
import { syntaxCodes } from "../grammar/syntax-codes.js";
import { codes, type CodeInfo } from "./check/codes.js";

export type { CodeInfo };

/** Every code in order: NN0xxx syntax, NN1xxx names and structure, NN2xxx types and values, NN3xxx warnings, NN9xxx internal. */
export const diagnosticCodes: readonly CodeInfo[] = [
  ...Object.values(syntaxCodes).map((c): CodeInfo => ({ code: c.code, severity: "error", title: c.title })),
  ...Object.values(codes),
].sort((a, b) => a.code.localeCompare(b.code));
