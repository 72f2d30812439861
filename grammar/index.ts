// The front end's public surface: parse a `.nn` text, list its tokens, walk its tree.
export { parse, type ParseResult } from "./parse.js";
export { ParseCache } from "./item-cache.js";
export { tokenize, type SourceToken, type TokenKind } from "./tokenize.js";
export { forEachChild, walk } from "./visit.js";
export { LineIndex } from "./positions.js";
export { SyntaxCode } from "./syntax-codes.js";
export { MAX_NESTING } from "./nesting.js";
export type * from "./ast.js";
export type { Diagnostic, Fix, Severity } from "./diagnostics.js";
