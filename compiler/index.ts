// The compiler's public API (`neuron/compiler`): check a `.nn` text, emit a model's module,
// load one in memory, and format `.nn` source. The CLI and the language server are built on
// the same functions.
export { parse, type ParseResult } from "../grammar/index.js";
export type * from "../grammar/ast.js";
export { checkText, codes, type CheckResult, type ExprInfo } from "./check/index.js";
export { formatDiagnostic, sortDiagnostics, type Diagnostic, type Fix, type Severity } from "./diagnostics.js";
export type * from "./graph.js";
export { emitModule, formatModule, compileToIr, DEFAULT_RUNTIME_IMPORT, type EmitOptions, type IrOptions } from "./compile.js";
export { loadModel, loadModelFromGraph, type LoadOptions, type LoadedModel } from "./load.js";
export { ModelSourceError } from "./model-source.js";
export { formatText, type FormatOptions, type FormatResult } from "./format/index.js";
