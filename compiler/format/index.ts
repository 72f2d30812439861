// The formatter's public surface: used by `nnc fmt`, the prettier plugin and the language server.
export { DEFAULT_WIDTH, formatText, syntaxFingerprint, type FormatOptions, type FormatResult } from "./format.js";
