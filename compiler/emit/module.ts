// Assembles the emitted module: imports from the runtime, the model's `info` and types, its kernels, and
// the model class that owns every buffer and calls the kernels in order.
//
// The module is written as text in one pass, in one of two dialects from the same code:
// TypeScript for `nnc compile` (checked by `tsc --strict` in tests), or plain JavaScript for
// in-memory loading, which then needs no TypeScript compiler at all (importing one costs far
// more than the whole 300 ms budget of `nnc train`'s compile). The only differences are type
// annotations, so both dialects share every line below; `ts()` marks what only TypeScript has.

import type { ModelInfo } from "../../runtime/model.js";
import type { BackwardSchedule } from "../ir/autodiff.js";
import type { IrOp, IrProgram } from "../ir/ir.js";
import { activationHelpers } from "../ir/ops/activations.js";
import { commentText, identifier, literal } from "./inert-text.js";
import { backwardKernels, forwardKernels, indent, KernelTable, kernelSource, lossKernels, type Kernel, type KernelDefinition, type KernelOrigin } from "./kernels.js";
import { BUFFERS, bufferRef, withInputsInMemory, type MemoryPlan } from "./memory.js";
import { opDef } from "../ir/ops/index.js";
import { GRADIENT_PREFIX } from "../../runtime/buffers.js";
import { ADAM_KERNEL } from "../wasm/adam.js";
import { KERNELS_FIELD, wasmCalls, type WasmArg, type WasmCall, type WasmCalls, type WasmLoss } from "../wasm/emit.js";
import { LOSS_ROW_FLOATS, lossRowsSumSource } from "../wasm/losses.js";
import { modelTypeDeclarations, modelTypeNames, type ModelTypeNames } from "./model-types.js";

export interface ModuleOptions {
  dtype: "float32" | "float64";
  runtimeImport: string;
  /** TypeScript (default) or JavaScript. */
  language: "typescript" | "javascript";
  /**
   * "wasm": every buffer a view into one WebAssembly.Memory, and the ops that have
   * WebAssembly kernels (compiler/wasm/ops.ts) run them, their JavaScript kernels kept for an
   * engine without SIMD. Float32 only.
   */
  backend?: "wasm" | "js";
}

/**
 * The largest module prettier lays out, in characters: about twice
 * the largest example's. Formatters take seconds per hundred kilobytes, so a deep model's module
 * (400 layers: about a megabyte) keeps the emitter's own layout, one statement a line indented
 * by depth, and compiling stays linear in the model's size and bounded by a few seconds.
 */
export const FORMAT_LIMIT = 160 * 1024;

/** Text that only the TypeScript dialect carries: annotations, `!`, `implements`. */
type Ts = (text: string) => string;

function modelInfo(program: IrProgram, dtype: "float32" | "float64"): ModelInfo {
  const g = program.graph;
  const tensor = (name: string, type: { shape: number[]; kind: "float" | "int"; vocab?: number }) => ({
    name,
    shape: type.shape,
    kind: type.kind,
    ...(type.vocab !== undefined ? { vocab: type.vocab } : {}),
  });
  return {
    name: g.name,
    dtype,
    inputs: g.inputs.map((t) => tensor(t.name, t.type)),
    targets: g.targets.map((t) => tensor(t.name, t.type)),
    outputs: g.outputs.map((t) => tensor(t.name, t.type)),
    params: g.params.map((p) => ({ name: p.name, shape: p.shape, init: p.init, trainable: p.trainable })),
    losses: g.losses.map((l) => l.op),
    optimizer: g.optimizer
      ? { name: g.optimizer.name, args: g.optimizer.args, schedule: { name: g.optimizer.schedule.name, args: g.optimizer.schedule.args } }
      : null,
    train: g.train,
  };
}

/**
 * Names a model's class cannot take: JavaScript's reserved words, TypeScript's type names, and
 * the globals emitted code refers to or a user of the module would expect to keep (a class
 * `Math` would shadow the `Math.exp` of its own kernels).
 */
const UNAVAILABLE_NAMES = new Set([
  ...["break", "case", "catch", "class", "const", "continue", "debugger", "default", "delete", "do", "else", "enum", "export", "extends"],
  ...["false", "finally", "for", "function", "if", "import", "in", "instanceof", "new", "null", "return", "super", "switch", "this"],
  ...["throw", "true", "try", "typeof", "var", "void", "while", "with", "yield", "let", "static", "implements", "interface", "package"],
  ...["private", "protected", "public", "await", "async", "arguments", "eval", "undefined", "NaN", "Infinity", "globalThis"],
  ...["Math", "Number", "String", "Boolean", "Object", "Array", "Error", "RangeError", "TypeError", "Map", "Set", "JSON", "Symbol"],
  ...["Promise", "Date", "Float32Array", "Float64Array", "Int32Array", "Uint8Array", "ArrayBuffer", "ArrayLike", "Record", "console"],
  // TypeScript's own type names, which no class may take (TS2414).
  ...["number", "string", "boolean", "bigint", "symbol", "object", "any", "unknown", "never"],
]);

/**
 * The class's name: the model's, made an identifier, with `Model` appended while it is
 * unavailable or clashes with a top-level name of the module (`info`, `create`, a runtime
 * import, a kernel). `info.name` keeps the model's own name.
 */
function className(name: string, taken: ReadonlySet<string>): string {
  const cleaned = name.replace(/[^A-Za-z0-9_$]/g, "_");
  let candidate = /^[A-Za-z_$]/.test(cleaned) ? cleaned : `Model_${cleaned}`;
  const clashes = (n: string) => UNAVAILABLE_NAMES.has(n) || taken.has(n) || Object.values(modelTypeNames(n)).some((t) => taken.has(t));
  while (clashes(candidate)) candidate += "Model";
  return identifier(candidate);
}

/** The functions layoutHelpers declares (so the class's name avoids them). */
const LAYOUT_HELPERS = ["ohwiFromOihw", "oihwFromOhwi"];

function layoutHelpers(program: IrProgram, ts: Ts): string[] {
  if (!program.params.some((p) => p.layout === "ohwi")) return [];
  const bang = ts("!");
  return [
    "// conv2d weights: checkpoints hold PyTorch's [out, in, kh, kw]; kernels read [out, kh, kw, in],",
    "// so that one output channel's weights line up with one im2col row.",
    `function ohwiFromOihw(src${ts(": ArrayLike<number>")}, dst${ts(": F")}, o${ts(": number")}, c${ts(": number")}, kh${ts(": number")}, kw${ts(": number")})${ts(": void")} {`,
    "for (let a = 0; a < o; a++) for (let b = 0; b < c; b++) for (let i = 0; i < kh; i++) for (let j = 0; j < kw; j++) {",
    `dst[((a * kh + i) * kw + j) * c + b] = src[((a * c + b) * kh + i) * kw + j]${bang};`,
    "}",
    "}",
    `function oihwFromOhwi(src${ts(": F")}, o${ts(": number")}, c${ts(": number")}, kh${ts(": number")}, kw${ts(": number")})${ts(": F")} {`,
    "const dst = new F(src.length);",
    "for (let a = 0; a < o; a++) for (let b = 0; b < c; b++) for (let i = 0; i < kh; i++) for (let j = 0; j < kw; j++) {",
    `dst[((a * c + b) * kh + i) * kw + j] = src[((a * kh + i) * kw + j) * c + b]${bang};`,
    "}",
    "return dst;",
    "}",
  ];
}

/** The runtime's checks of the caller's arrays for the kinds of tensor (float, int) the model binds. */
function argumentChecks(program: IrProgram): string[] {
  const bound = [...program.inputs, ...program.targets].map((t) => program.values[t.value]!.kind);
  return [...(program.inputs.length > 0 ? ["samplesIn"] : []), ...(bound.includes("float") ? ["floatArg"] : []), ...(bound.includes("int") ? ["intArg"] : [])];
}

/** `n * k` as emitted code, with the multiplication by 1 folded away. */
function times(n: string, k: number): string {
  return k === 1 ? n : `${n} * ${k}`;
}

export function emitModuleSource(program: IrProgram, schedule: BackwardSchedule, plan: MemoryPlan, options: ModuleOptions): string {
  const { dtype } = options;
  const typed = options.language === "typescript";
  const ts: Ts = (text) => (typed ? text : "");
  if (options.backend === "wasm" && dtype !== "float32") throw new Error("internal error: the wasm back end is float32 only");
  const wasmUses = options.backend === "wasm" ? wasmCalls(program, schedule, plan) : null;
  // No op with a WebAssembly kernel (a model of tanh layers, say): a plain JavaScript module.
  const wasm = wasmUses !== null && wasmUses.names.length > 0 ? wasmUses : null;
  // The kernels' arguments name the buffers as the class holds them (bufferRef): in one memory, inputs too.
  const memoryPlan = wasm ? withLossRows(withInputsInMemory(plan), wasm.loss) : plan;
  const table = new KernelTable();
  const forward = forwardKernels(table, program, memoryPlan, dtype);
  const backward = backwardKernels(table, program, schedule, memoryPlan, dtype);
  const loss = lossKernels(table, program, schedule, memoryPlan);
  // Without a loss nothing trains, so the training-mode forward kernels would go unused.
  const training = program.losses.length > 0;
  const trainKernels = training ? forward.train : [];
  const inTraining = new Set(trainKernels);
  const kernels: Kernel[] = [
    ...trainKernels,
    ...forward.infer.filter((k) => !inTraining.has(k)),
    ...backward,
    ...loss.value,
    ...loss.gradient,
    ...(loss.accuracy ? [loss.accuracy.kernel] : []),
  ];
  const definitions = usesByDefinition(kernels);
  const kernelText = [...definitions].map(([definition, uses]) => kernelSource(definition, uses, typed));
  const calls = new Set(kernels.flatMap((k) => [...k.definition.calls]));
  const helperNames = Object.keys(activationHelpers).filter((name) => calls.has(name));
  const helpers = helperNames.map((name) => activationHelpers[name]!(typed));
  const usesErf = calls.has("erf");
  const runtimeValues = [
    "Rng",
    "RngStream",
    "createOptimizer",
    "initTensor",
    ...argumentChecks(program),
    "checkMaxBatch",
    "checkBatchSize",
    "checkParameterValues",
    "firstNonFinite",
    "allocateBuffers",
    "parameterBuffers",
    "watchedBuffers",
    ...(usesErf ? ["erf"] : []),
    ...(wasm ? ["WasmKernelModule", "createModelMemory", "bufferBytes"] : []),
  ];
  const usesRng = kernels.some((k) => k.definition.params.some((p) => p.type === "RandomSource"));
  const runtimeTypes = ["BatchMetrics", "CompiledModel", "CreateOptions", "FloatArray", "ModelInfo", "Optimizer", "Parameter", "Buffers", "BufferTable", ...(usesRng ? ["RandomSource"] : []), ...(wasm ? ["WasmKernel", "HeldCalls"] : [])];
  const F = dtype === "float32" ? "Float32Array" : "Float64Array";
  const layoutText = layoutHelpers(program, ts);
  const taken = new Set([
    ...runtimeValues,
    ...runtimeTypes,
    "F",
    BUFFER_TABLE,
    "info",
    "create",
    ...[...definitions.keys()].map((d) => d.name),
    ...helperNames,
    ...(layoutText.length > 0 ? LAYOUT_HELPERS : []),
    ...(wasm ? [WASM_MODULE, ...ADAPTER_NAMES] : []),
    ...(wasm?.loss ? [LOSS_ROWS_SUM] : []),
  ]);
  const name = className(program.graph.name, taken);
  // The WebAssembly calls the class makes (as withWasmCalls emits them): inference's, and training's where there is a loss.
  const inferCalls = wasm === null ? [] : program.ops.map((op) => inferenceCalls(wasm, op));
  const usedWasmCalls = wasm === null ? [] : [...inferCalls, ...(training ? [...wasm.forward, ...wasm.backward, wasm.loss ? [wasm.loss.call] : null] : [])];
  const classPlan = withoutUnusedScratch(memoryPlan, kernels, program, usedWasmCalls);
  const classKernels = wasm ? withWasmCalls(program, classPlan, wasm, forward, backward, training) : { forward, backward, adapters: [] };
  const types = modelTypeNames(name);
  const info = modelInfo(program, dtype);
  const spec = literal(options.runtimeImport);
  const modelName = commentText(program.graph.name);

  const parts: string[] = [
    `// ${modelName}: generated by nnc from the .nn model. Do not edit; recompile instead.`,
    ...(name !== program.graph.name ? [`// The class is ${name}: '${modelName}' is not available as a class name in this module.`] : []),
    `import { ${runtimeValues.join(", ")} } from ${spec};`,
    ...(typed ? [`import type { ${runtimeTypes.join(", ")} } from ${spec};`] : []),
    "",
    `/** The element type of every float buffer of this model (${dtype}). */`,
    `const F = ${F};`,
    ...(typed ? [`type F = ${F};`] : []),
    "",
    `export const info${ts(": ModelInfo")} = ${infoLiteral(info)};`,
    "",
    ...(typed ? modelTypeDeclarations(info, types).flatMap((declaration) => [indent(declaration), ""]) : []),
    indent(layoutText),
    ...helpers,
    ...kernelText,
    ...(wasm ? wasmModuleText(wasm) : []),
    ...(wasm?.loss ? [lossRowsSumSource(LOSS_ROWS_SUM, wasm.loss.rows, typed), ""] : []),
    ...(wasm ? [indent(adapterText(classKernels.adapters, wasm, ts))] : []),
    indent(bufferTable(classPlan, ts)),
    indent(
      modelClass({ program, plan: classPlan, name, types, forward: classKernels.forward, backward: classKernels.backward, loss, ts, wasm, adapters: classKernels.adapters.length > 0 }),
    ),
    "",
    `/** A new ${modelName}: initial weights from the seed, or the given weights. */`,
    `export function create(options${ts(": CreateOptions")} = {})${ts(`: ${name}`)} {`,
    `  return new ${name}(options);`,
    "}",
    "",
  ];
  return parts.join("\n");
}

/**
 * `info` as a literal with one line per property and per tensor, parameter and loss: compact
 * enough that prettier keeps each on one line where it fits, and readable where the module is
 * too large for prettier (FORMAT_LIMIT).
 */
function infoLiteral(info: ModelInfo): string {
  const property = ([key, value]: [string, unknown]): string =>
    Array.isArray(value) && value.length > 0
      ? `${literal(key)}: [\n${value.map((v) => `${literal(v)},`).join("\n")}\n],`
      : `${literal(key)}: ${literal(value)},`;
  return `{\n${Object.entries(info).map(property).join("\n")}\n}`;
}

/** The module-level object holding the WebAssembly kernels' bytes. */
const WASM_MODULE = "wasmKernels";

function wasmModuleText(wasm: WasmCalls): string[] {
  return [
    "/** The WebAssembly kernels (compiler/wasm/): compiled once, at the first model created. */",
    `const ${WASM_MODULE} = new WasmKernelModule(`,
    `  ${literal(wasm.base64)},`,
    `  [${wasm.names.map((n) => literal(n)).join(", ")}],`,
    `  [${wasm.splits.map((s) => (s === null ? "null" : JSON.stringify(s).replace(/"(\w+)":/g, "$1: ").replace(/,/g, ", "))).join(", ")}],`,
    `  ${wasm.sharedFlag},`,
    ");",
    "",
  ];
}

/**
 * A kernel that also has a WebAssembly form, as the model class calls it (`this.kernels.k3_dense(n, this.x, ...)`):
 * the JavaScript kernel's own signature, over either the JavaScript kernel (an engine without SIMD,
 * or `create({ backend: "js" })`) or the WebAssembly calls on its views' addresses, chosen once
 * when a model is created. One per distinct pairing of a JavaScript kernel with WebAssembly calls,
 * so a deep model's uses share them as they share the kernels.
 */
interface Adapter {
  name: string;
  definition: KernelDefinition;
  /** The JavaScript kernel's parameters as the adapter declares them: unused ones `_`-prefixed, trailing unused ones left out. */
  params: string[];
  /** The WebAssembly calls, on the parameters' byte addresses. */
  calls: string[];
}

/** The field of the model class holding its kernels (`Kernels`): JavaScript or WebAssembly, chosen at creation. */
const ADAPTERS_FIELD = "kernels";

/** The local the methods that call adapters read ADAPTERS_FIELD into (`k.k4_dense(...)`). */
const ADAPTERS_LOCAL = "k";

/** The module's function summing the WebAssembly loss's rows (compiler/wasm/losses.ts). */
const LOSS_ROWS_SUM = "lossRowsSum";

/** The plan with the WebAssembly loss's scratch (a row's results per label), where there is one. */
function withLossRows(plan: MemoryPlan, loss: WasmLoss | null): MemoryPlan {
  if (loss === null) return plan;
  const rows = { field: loss.rowsField, perSample: loss.rows * LOSS_ROW_FLOATS, fixed: 0, what: "the loss's max, exp sum, label logit and correct flag per label", watch: null, type: "F" as const };
  return { ...plan, allocations: [...plan.allocations, rows] };
}

/** The module-level names the adapters' text declares. */
const ADAPTER_NAMES = ["Kernels", "WasmKernelSet", "jsKernels", "wasmKernelsOn"];

/** One argument of a WebAssembly call, written with `address` for a buffer's. */
function wasmArg(arg: WasmArg, address: (field: string) => string | undefined): string | undefined {
  return arg.kind === "n" ? "n" : arg.kind === "constant" ? String(arg.value) : address(arg.field);
}

/** An op's WebAssembly calls in inference: its inference forward's where it has one (OpDef.inferForward), else its forward's. */
function inferenceCalls(wasm: WasmCalls, op: IrOp): WasmCall[] | null {
  return (opDef(op.op).inferForward ? wasm.infer : wasm.forward)[op.id] ?? null;
}

/**
 * The class's kernel calls with the WebAssembly ones in: each use of an op with a WebAssembly
 * kernel calls its adapter. A use whose WebAssembly calls need a buffer its JavaScript kernel is
 * not passed keeps both calls, `if (this.kw !== null) ... else ...`. An op with an
 * inference-only forward (dropout, batch_norm) keeps JavaScript for inference where it has no
 * WebAssembly one.
 */
function withWasmCalls(
  program: IrProgram,
  plan: MemoryPlan,
  wasm: WasmCalls,
  forward: { train: Kernel[]; infer: Kernel[] },
  backward: Kernel[],
  training: boolean,
): { forward: { train: Kernel[]; infer: Kernel[] }; backward: Kernel[]; adapters: Adapter[] } {
  const kernelOps = program.ops.filter((op) => !opDef(op.op).aliasesInput);
  const lined = (k: Kernel, label: string) => k.origin.kind === "op" && k.origin.label === label;
  const aligned =
    kernelOps.length === forward.train.length &&
    forward.train.every((k, i) => lined(k, kernelOps[i]!.label)) &&
    backward.length === wasm.backward.length;
  if (!aligned) {
    throw new Error("internal error: the wasm calls do not line up with the kernels");
  }
  const adapters = new Map<string, Adapter>();
  const pairings = new Map<KernelDefinition, number>();
  const adapt = (k: Kernel, calls: WasmCall[] | null | undefined, emitted = true): Kernel => {
    // A model without a loss emits no training kernels, so no adapter may name them.
    if (calls == null || !emitted) return k;
    // The JavaScript parameter holding each field (the first, where a field is passed twice).
    const paramOf = new Map<string, string>();
    k.args.forEach((arg, i) => {
      const name = k.definition.params[i]!.name;
      if (!paramOf.has(arg)) paramOf.set(arg, name);
    });
    const used = new Set<string>();
    const address = (field: string): string | undefined => {
      const param = paramOf.get(bufferRef(plan, field));
      if (param !== undefined) used.add(param);
      return param === undefined ? undefined : `${param}.byteOffset`;
    };
    const texts = calls.map((c) => {
      const args = c.args.map((a) => (a.kind === "n" ? (paramOf.has("n") ? (used.add("n"), "n") : undefined) : wasmArg(a, address)));
      return args.includes(undefined) ? null : `${KERNELS_FIELD}.${c.kernel}(${args.join(", ")});`;
    });
    if (texts.includes(null)) {
      const both = calls.map((c) => `this.${KERNELS_FIELD}.${c.kernel}(${c.args.map((a) => wasmArg(a, (f) => `${bufferRef(plan, f)}.byteOffset`)).join(", ")});`);
      return { ...k, call: `if (this.${KERNELS_FIELD} !== null) ${both.length === 1 ? both[0] : `{ ${both.join(" ")} }`} else ${k.call}`, wasm: true };
    }
    const body = texts as string[];
    const key = `${k.definition.name}\n${body.join("\n")}`;
    let adapter = adapters.get(key);
    if (adapter === undefined) {
      const count = pairings.get(k.definition) ?? 0;
      pairings.set(k.definition, count + 1);
      const names = k.definition.params.map((p) => p.name);
      const last = names.reduce((end, name, i) => (used.has(name) ? i + 1 : end), 0);
      const params = names.slice(0, last).map((name) => (used.has(name) ? name : `_${name}`));
      adapter = { name: count === 0 ? k.definition.name : `${k.definition.name}_${count + 1}`, definition: k.definition, params, calls: body };
      adapters.set(key, adapter);
    }
    return { ...k, call: `${ADAPTERS_LOCAL}.${adapter.name}(${k.args.join(", ")});`, wasm: true };
  };
  return {
    forward: {
      train: forward.train.map((k, i) => adapt(k, wasm.forward[kernelOps[i]!.id], training)),
      infer: forward.infer.map((k, i) => adapt(k, inferenceCalls(wasm, kernelOps[i]!))),
    },
    backward: backward.map((k, i) => adapt(k, wasm.backward[i], training)),
    adapters: [...adapters.values()],
  };
}

/**
 * The adapters' declarations: their type, the JavaScript set and the function making the
 * WebAssembly set on a model's kernels (`kw` is its instance of the module's exports).
 */
function adapterText(adapters: readonly Adapter[], wasm: WasmCalls, ts: Ts): string[] {
  if (adapters.length === 0) return [];
  const names = wasm.names.map((n) => literal(n)).join(" | ");
  const wasmFunction = (a: Adapter): string[] => {
    const head = `${a.name}: (${a.params.join(", ")}) =>`;
    return a.calls.length === 1 ? [`${head} ${a.calls[0]!.slice(0, -1)},`] : [`${head} {`, ...a.calls, "},"];
  };
  return [
    "/**",
    " * The kernels that have a WebAssembly form, as the model class calls them: the JavaScript",
    " * kernels, or the WebAssembly ones on the addresses of the views they are passed.",
    " */",
    ...(ts("x") ? [`type Kernels = {`, ...adapters.map((a) => `${a.name}: typeof ${a.definition.name};`), "};", `type WasmKernelSet = Record<${names}, WasmKernel>;`] : []),
    `const jsKernels${ts(": Kernels")} = {`,
    ...adapters.map((a) => (a.name === a.definition.name ? `${a.name},` : `${a.name}: ${a.definition.name},`)),
    "};",
    `function wasmKernelsOn(${KERNELS_FIELD}${ts(": WasmKernelSet")})${ts(": Kernels")} {`,
    "return {",
    ...adapters.flatMap(wasmFunction),
    "};",
    "}",
    "",
  ];
}

/** Each kernel definition, in the order of its first use, with the origins of all its uses. */
function usesByDefinition(kernels: readonly Kernel[]): Map<KernelDefinition, KernelOrigin[]> {
  const uses = new Map<KernelDefinition, KernelOrigin[]>();
  for (const k of kernels) {
    const list = uses.get(k.definition);
    if (list === undefined) uses.set(k.definition, [k.origin]);
    else list.push(k.origin);
  }
  return uses;
}

/**
 * The plan without the scratch buffers no emitted kernel is passed: those of a pass an op
 * does not need here (the input gradient of a first conv2d), or of training in a model
 * without a loss. Only kernels touch scratch, so such a buffer would be memory never used.
 */
function withoutUnusedScratch(plan: MemoryPlan, kernels: readonly Kernel[], program: IrProgram, wasmCalls: readonly (WasmCall[] | null)[]): MemoryPlan {
  // Inputs and targets copied into the memory are filled by every call, whether or not a kernel reads them.
  const passed = new Set([...kernels.flatMap((k) => k.args), ...[...program.inputs, ...program.targets].map((t) => bufferRef(plan, plan.data[t.value]!))]);
  // Scratch that only WebAssembly kernels use (dense's zero-skipping W^T, compiler/wasm/sparse.ts).
  for (const a of wasmCalls.flatMap((c) => c ?? []).flatMap((c) => c.args)) if (a.kind === "buffer") passed.add(bufferRef(plan, a.field));
  return { ...plan, allocations: plan.allocations.filter((a) => a.watch !== null || passed.has(bufferRef(plan, a.field))) };
}

/** What the parts of the model class are written from. */
interface ClassParts {
  program: IrProgram;
  plan: MemoryPlan;
  name: string;
  types: ModelTypeNames;
  forward: { train: Kernel[]; infer: Kernel[] };
  backward: Kernel[];
  loss: ReturnType<typeof lossKernels>;
  ts: Ts;
  /** The WebAssembly kernels, when the module has them: one memory, inputs copied in. */
  wasm: WasmCalls | null;
  /** Whether the class calls kernels through `this.kernels` (withWasmCalls). */
  adapters: boolean;
}

function modelClass(parts: ClassParts): string[] {
  const { program, name, ts } = parts;
  return [
    `/** The ${commentText(program.graph.name)} model: every buffer allocated once in the constructor, kernels called in order. */`,
    `export class ${name}${ts(" implements CompiledModel")} {`,
    ...classFields(parts),
    "",
    ...constructorText(parts),
    ...predictMethod(parts),
    ...trainingMethods(parts),
    ...weightMethods(parts),
    ...method(ts, "findNonFinite()", "string | null", findNonFiniteBody(parts)),
    ...(parts.wasm
      ? [
          "/** Stops the kernels' worker threads (idle ones never keep the process alive); later calls run on this thread. */",
          ...method(ts, "dispose()", "void", ["this.release();"]),
          "/** Splits later kernel calls among at most `threads` of this model's threads (1: this thread alone); returns how many. The results are the same. */",
          ...method(ts, `useThreads(threads${ts(": number")})`, "number", ["return this.memoryThreads(threads);"]),
        ]
      : []),
    ...method(ts, `batchSize(size${ts(": number")})`, "number", ["this.lastBatch = checkBatchSize(size, this.maxBatch);", "return size;"], true),
    ...forwardMethod(parts),
    "}",
  ];
}

/**
 * The forward pass, one call a line, in training mode (forwardBackward) or inference mode
 * (predict, evaluate). The two differ only at the ops with an inference-only forward (dropout,
 * batch_norm), which branch on `training`; a model without one, or without a loss (whose
 * training forward pass nothing runs), has one mode and no `training`.
 */
function forwardMethod(parts: ClassParts): string[] {
  const { forward, ts } = parts;
  if (!hasModes(parts)) return method(ts, `forward(n${ts(": number")})`, "void", synced(parts, forward.infer, false), true);
  const calls = forward.train.map((k, i) => {
    const infer = forward.infer[i]!;
    return k.call === infer.call ? infer : { call: `if (training) ${k.call} else ${infer.call}`, wasm: k.wasm === true && infer.wasm === true };
  });
  return method(ts, `forward(n${ts(": number")}, training${ts(": boolean")})`, "void", synced(parts, calls, false), true);
}

/** The field holding the model memory's HeldCalls (runtime/wasm.ts). */
const HELD_FIELD = "calls";

/**
 * The calls as lines, with `this.calls.sync()` before each JavaScript one that follows a
 * WebAssembly one (or, `held`, any call held before these lines): the WebAssembly calls of a
 * pass may be held (runtime/threads.ts's KernelThreads.hold), and JavaScript reads memory directly.
 */
function synced({ wasm }: ClassParts, calls: readonly Pick<Kernel, "call" | "wasm">[], held: boolean): string[] {
  if (wasm === null) return calls.map((k) => k.call);
  let pending = held;
  return calls.flatMap((k) => {
    const sync = k.wasm !== true && pending ? [`this.${HELD_FIELD}.sync();`] : [];
    pending = k.wasm === true;
    return [...sync, k.call];
  });
}

/**
 * `lines` run with the WebAssembly kernels' calls held, released (run) at the end even where
 * a line throws, so that no call stays held past the method (runtime/threads.ts).
 */
function holding({ wasm }: ClassParts, lines: readonly string[]): string[] {
  if (wasm === null) return [...lines];
  return [`this.${HELD_FIELD}.hold();`, "try {", ...lines, "} finally {", `this.${HELD_FIELD}.release();`, "}"];
}

/** Whether the forward pass differs between training and inference (forwardMethod). */
function hasModes({ program, forward }: ClassParts): boolean {
  return program.losses.length > 0 && forward.train.some((k, i) => k.call !== forward.infer[i]!.call);
}

/** The statement running the forward pass in one mode (forwardMethod). */
function forwardCall(parts: ClassParts, training: boolean): string {
  return hasModes(parts) ? `this.forward(n, ${training});` : "this.forward(n);";
}

/**
 * The locals a method binds from fields when its lines use them (`b.hidden_dense`, not
 * `this.b` nor `lib.x`): the buffers and the adapters, read on nearly every line of a deep
 * model's passes.
 */
const LOCALS = [BUFFERS, ADAPTERS_LOCAL].map((local) => ({
  uses: new RegExp(`(^|[^\\w.$])${local}\\.`),
  line: `const ${local} = this.${local === BUFFERS ? BUFFERS : ADAPTERS_FIELD};`,
}));

/** A method of the class, followed by a blank line. */
function method(ts: Ts, signature: string, returns: string, body: string[], isPrivate = false): string[] {
  // A method that passes buffers reads them from one local (bufferRef), bound once per call.
  const locals = LOCALS.filter((l) => body.some((line) => l.uses.test(line))).map((l) => l.line);
  return [`${isPrivate ? ts("private ") : ""}${signature}${ts(`: ${returns}`)} {`, ...locals, ...body, "}", ""];
}

function classFields(parts: ClassParts): string[] {
  const { plan, ts, wasm } = parts;
  const fields: string[] = [
    `${ts("readonly ")}info${ts(": ModelInfo")} = info;`,
    `${ts("readonly ")}maxBatch${ts(": number")};`,
    `${ts("readonly ")}optimizer${ts(": Optimizer | null")};`,
    `${ts("readonly ")}rng${ts(": Rng")};`,
    "/** Trainable parameters for the optimizer, built once. */",
    `${ts("private readonly ")}params${ts(": Parameter[]")};`,
    "/** Size of the last batch run, for findNonFinite. */",
    `${ts("private ")}lastBatch = 0;`,
    "/** Loss and accuracy of the last training forward pass; one object, updated in place, so that trainStep allocates nothing. */",
    `${ts("private readonly ")}lastTraining${ts(": BatchMetrics")} = { loss: 0, correct: 0, count: 0 };`,
  ];
  if (wasm) {
    const names = parts.adapters ? "WasmKernelSet" : `Record<${wasm.names.map((n) => literal(n)).join(" | ") || "never"}, WasmKernel>`;
    fields.push("/** The WebAssembly kernels, or null where they run as JavaScript (no SIMD, or created with backend \"js\"). */");
    fields.push(`${ts("private readonly ")}${KERNELS_FIELD}${ts(`: ${names} | null`)};`);
    if (parts.adapters) {
      fields.push("/** The kernels with a WebAssembly form: the WebAssembly ones where kw is not null, else the JavaScript ones. */");
      fields.push(`${ts("private readonly ")}${ADAPTERS_FIELD}${ts(": Kernels")};`);
    }
    fields.push("/** The threads the WebAssembly kernels run on. */");
    fields.push(`${ts("readonly ")}threads${ts(": number")};`);
    fields.push("/** Stops the kernels' worker threads. */");
    fields.push(`${ts("private readonly ")}release${ts(": () => void")};`);
    fields.push("/** Limits the threads later calls split among. */");
    fields.push(`${ts("private readonly ")}memoryThreads${ts(": (threads: number) => number")};`);
    fields.push("/** Holds a pass's kernel calls to run them together on the threads (runtime/threads.ts). */");
    fields.push(`${ts("private readonly ")}${HELD_FIELD}${ts(": HeldCalls")};`);
  }
  for (const b of plan.bound) {
    const int = b.value.kind === "int";
    fields.push(`/** The caller's ${b.value.role} '${commentText(b.value.name)}' for the current call (not copied). */`);
    fields.push(`${ts("private ")}${b.field}${ts(int ? ": Int32Array" : ": F")} = ${int ? "new Int32Array(0)" : "new F(0)"};`);
  }
  fields.push(`/** Each parameter's buffer and its gradient's (null: not trainable), in the order of info.params. */`);
  fields.push(`${ts("private readonly ")}${PARAM_BUFFERS}${ts(": [F, F | null][]")};`);
  fields.push(`/** Every buffer, by its name in \`${BUFFER_TABLE}\`: ${wasm ? "a view into the one memory" : "its own array"}, allocated once. */`);
  fields.push(`${ts("private readonly ")}${BUFFERS}${ts(`: Buffers<typeof ${BUFFER_TABLE}, F>`)};`);
  return fields;
}

/**
 * The statements allocating every buffer from the table: each its own array, or (wasm) each a
 * view of its region of the one memory, sized for maxBatch once and for all.
 */
function allocationText(parts: ClassParts): string[] {
  const { wasm } = parts;
  if (!wasm) return [`this.${BUFFERS} = allocateBuffers(${BUFFER_TABLE}, maxBatch, F);`];
  const slots = optimizerSlots(parts);
  return [
    `const bytes = bufferBytes(${BUFFER_TABLE}, maxBatch);`,
    // Adam's moments, when it steps in WebAssembly, take the region after the buffers (optimizerText).
    `const memory = createModelMemory(${WASM_MODULE}, ${slots > 0 ? `[...bytes, ${slots * 4}]` : "bytes"}, options.backend, options.threads);`,
    `this.${KERNELS_FIELD} = memory.kernels;`,
    ...(parts.adapters ? [`this.${ADAPTERS_FIELD} = this.${KERNELS_FIELD} === null ? jsKernels : wasmKernelsOn(this.${KERNELS_FIELD});`] : []),
    "this.threads = memory.threads;",
    "this.release = memory.dispose;",
    "this.memoryThreads = memory.useThreads;",
    `this.${HELD_FIELD} = memory.calls;`,
    `this.${BUFFERS} = allocateBuffers(${BUFFER_TABLE}, maxBatch, F, memory);`,
  ];
}

/** Floats of the region after the buffers that holds Adam's two moments of every trainable parameter (0: none). */
function optimizerSlots({ program, wasm }: ClassParts): number {
  if (wasm === null || !wasm.names.includes(ADAM_KERNEL)) return 0;
  return 2 * program.params.reduce((sum, p) => sum + (p.trainable ? program.values[p.value]!.size : 0), 0);
}

/** The optimizer's creation: a wasm model's Adam keeps its state in the memory and steps in WebAssembly. */
function optimizerText(parts: ClassParts): string {
  const slots = optimizerSlots(parts);
  if (slots === 0) return "this.optimizer = info.optimizer ? createOptimizer(info.optimizer) : null;";
  const region = `new Float32Array(memory.buffer, memory.offsets[bytes.length]${parts.ts("!")}, ${slots})`;
  return `this.optimizer = info.optimizer ? createOptimizer(info.optimizer, { slots: ${region}, adam: this.${KERNELS_FIELD} === null ? null : this.${KERNELS_FIELD}.${ADAM_KERNEL} }) : null;`;
}

/** The field listing each parameter's buffer and gradient. */
const PARAM_BUFFERS = "paramBuffers";

/**
 * The statement filling PARAM_BUFFERS from the parameters' buffer names, one a line (a deep
 * model's module may be too large for prettier to lay out): each gradient's is `grad_` and
 * its parameter's, as planMemory names them.
 */
function paramBuffersText({ program, plan }: ClassParts): string[] {
  for (const p of program.params) {
    if (p.trainable && plan.grad[p.value] !== `${GRADIENT_PREFIX}${plan.data[p.value]}`) throw new Error(`internal error: the gradient of '${p.name}' is not named after it`);
  }
  return [`this.${PARAM_BUFFERS} = parameterBuffers(${BUFFERS}, info.params, [`, ...program.params.map((p) => `${literal(plan.data[p.value])},`), "]);"];
}

function constructorText(parts: ClassParts): string[] {
  const { ts } = parts;
  const bang = ts("!");
  return [
    `constructor(options${ts(": CreateOptions")} = {}) {`,
    "const maxBatch = checkMaxBatch(options.maxBatch ?? info.train.batch ?? 32);",
    "this.maxBatch = maxBatch;",
    "const root = new Rng(options.seed ?? info.train.seed ?? 0);",
    "this.rng = root.fork(RngStream.dropout);",
    ...allocationText(parts),
    `const ${BUFFERS} = this.${BUFFERS};`,
    ...paramBuffersText(parts),
    "this.params = info.params.flatMap((p, i) => {",
    `const [value, grad] = this.${PARAM_BUFFERS}[i]${bang};`,
    "return grad === null ? [] : [{ name: p.name, value, grad }];",
    "});",
    optimizerText(parts),
    "if (options.weights) {",
    "this.setWeights(options.weights);",
    "} else {",
    "const initRng = root.fork(RngStream.init);",
    // In parameter order: each draws from the one generator in turn.
    "info.params.forEach((p, i) => this.loadParam(i, initTensor(p.init, p.shape, initRng, info.dtype)));",
    "}",
    "}",
    "",
  ];
}

/** Statements binding the caller's `list` arrays, read from `record`, to their fields for one call. */
function bindArrays({ program, plan, wasm }: ClassParts, list: "inputs" | "targets", record: string): string[] {
  // In one memory the buffer is fixed: the caller's array is copied into it.
  const bind = (field: string, value: string) => (wasm ? `${bufferRef(plan, field)}.set(${value});` : `this.${field} = ${value};`);
  return program[list].map((t) => {
    const v = program.values[t.value]!;
    const what = list === "inputs" ? "input" : "target";
    const field = plan.data[t.value]!;
    if (v.kind === "float") return bind(field, `floatArg(F, ${record}, "${what}", ${literal(t.name)}, n, ${v.size})`);
    const type = (list === "inputs" ? program.graph.inputs : program.graph.targets).find((x) => x.name === t.name)?.type;
    if (type?.vocab === undefined) throw new Error(`internal error: int ${what} '${t.name}' has no vocabulary size`);
    return bind(field, `intArg(${record}, "${what}", ${literal(t.name)}, n, ${v.size}, ${type.vocab})`);
  });
}

function predictMethod(parts: ClassParts): string[] {
  const { program, plan, types, ts } = parts;
  // A null-prototype object, filled by assignment: an output named `__proto__` is then an own
  // property like any other (an object literal would set the prototype instead), and a caller
  // looking up a name the model has no output for finds nothing, not Object.prototype's members.
  const outputs = program.outputs.map(
    (o) => `outputs[${literal(o.name)}] = ${bufferRef(plan, plan.data[o.value]!)}.subarray(0, ${times("n", program.values[o.value]!.size)});`,
  );
  return [
    "/** Inference on `size` samples (default: as many as the inputs hold): views of the output buffers, valid until the next call. */",
    ...method(ts, `predict(inputs${ts(`: ${types.inputs}`)}, size${ts("?: number")})`, types.outputs, [
      program.inputs[0] === undefined
        ? "const n = this.batchSize(size ?? 1);"
        : `const n = this.batchSize(size ?? samplesIn(inputs, ${literal(program.inputs[0].name)}, ${program.values[program.inputs[0].value]!.size}));`,
      ...bindArrays(parts, "inputs", "inputs"),
      ...holding(parts, [forwardCall(parts, false)]),
      `const outputs${ts(`: ${types.outputs}`)} = Object.create(null);`,
      ...outputs,
      "return outputs;",
    ]),
  ];
}

/**
 * forwardBackward's loss, accuracy and loss gradient with the WebAssembly loss (compiler/wasm/losses.ts):
 * its kernel, split by samples, then the rows summed on this thread; the JavaScript kernels where kw is null.
 */
function wasmLossLines(parts: ClassParts, wasmLoss: WasmLoss, count: string): string[] {
  const { loss, plan } = parts;
  const call = wasmLoss.call;
  return [
    "if (wasmLoss) {",
    `this.${KERNELS_FIELD}${parts.ts("!")}.${call.kernel}(${call.args.map((a) => wasmArg(a, (f) => `${bufferRef(plan, f)}.byteOffset`)).join(", ")});`,
    "} else {",
    `metrics.loss = ${loss.value[0]!.call};`,
    `metrics.correct = ${loss.accuracy ? loss.accuracy.kernel.call : "0"};`,
    ...loss.gradient.map((k) => k.call),
    "}",
    `metrics.count = ${count};`,
  ];
}

/** trainStep, forwardBackward, evaluate and trainingMetrics: the methods that need a loss. */
function trainingMethods(parts: ClassParts): string[] {
  const { program, types, loss, backward, ts, wasm } = parts;
  const noLoss = (what: string): string[] => [`throw new Error(${literal(`model ${program.graph.name} declares no loss: add a \`loss\` line to ${what}`)});`];
  const lossSum = `const loss = ${loss.value.map((k) => k.call).join(" + ")};`;
  const count = loss.accuracy ? times("n", loss.accuracy.perSample) : "0";
  const hasLoss = program.losses.length > 0;
  // Without a loss, forwardBackward and evaluate only throw: `_` says their batch goes unread.
  const batch = hasLoss ? "batch" : "_batch";
  const bindBatch = ["const n = this.batchSize(batch.size);", ...bindArrays(parts, "inputs", "batch.inputs"), ...bindArrays(parts, "targets", "batch.targets")];
  return [
    ...method(ts, `trainStep(batch${ts(`: ${types.batch}`)})`, "number", [
      "const optimizer = this.optimizer;",
      `if (optimizer === null) throw new Error(${literal(`model ${program.graph.name} declares no optimizer: add one such as \`optimizer adam(lr: 0.001)\` to train it`)});`,
      "const loss = this.forwardBackward(batch);",
      "optimizer.update(this.params);",
      "return loss;",
    ]),
    ...method(
      ts,
      `forwardBackward(${batch}${ts(`: ${types.batch}`)})`,
      "number",
      !hasLoss
        ? noLoss("train it")
        : [
            ...bindBatch,
            "const metrics = this.lastTraining;",
            // The one choice between the WebAssembly loss and the JavaScript one: its kernel, then its rows summed once the pass has run.
            ...(wasm?.loss ? [`const wasmLoss = this.${KERNELS_FIELD} !== null;`] : []),
            ...holding(parts, [
              forwardCall(parts, true),
              ...(wasm?.loss
                ? wasmLossLines(parts, wasm.loss, count)
                : [
                    // The loss kernels are JavaScript: they read the held calls' outputs.
                    ...(wasm ? [`this.${HELD_FIELD}.sync();`] : []),
                    "metrics.loss = " + loss.value.map((k) => k.call).join(" + ") + ";",
                    `metrics.correct = ${loss.accuracy ? loss.accuracy.kernel.call : "0"};`,
                    `metrics.count = ${count};`,
                    ...loss.gradient.map((k) => k.call),
                  ]),
              ...synced(parts, backward, true),
            ]),
            ...(wasm?.loss ? [`if (wasmLoss) ${LOSS_ROWS_SUM}(n, ${bufferRef(parts.plan, wasm.loss.rowsField)}, metrics);`] : []),
            "return metrics.loss;",
          ],
    ),
    "/** `correct` of `count`: see the accuracy rule of the first loss with one (compiler/ir/ops/losses.ts). */",
    ...method(
      ts,
      `evaluate(${batch}${ts(`: ${types.batch}`)})`,
      "BatchMetrics",
      !hasLoss
        ? noLoss("evaluate it")
        : [
            ...bindBatch,
            ...holding(parts, [forwardCall(parts, false)]),
            lossSum,
            `return { loss, correct: ${loss.accuracy ? loss.accuracy.kernel.call : "0"}, count: ${count} };`,
          ],
    ),
    "/** Loss and accuracy of the last trainStep or forwardBackward batch, from its training-mode forward pass (the same object every time). */",
    ...method(ts, "trainingMetrics()", "BatchMetrics", ["return this.lastTraining;"]),
  ];
}

/** parameters, getWeights, getGradients, setWeights and loadParam: parameters in and out, in checkpoint layout. */
function weightMethods({ program, ts }: ClassParts): string[] {
  const bang = ts("!");
  // conv2d weights are kept in another layout than the checkpoint's (layoutHelpers).
  const ohwi = program.params.flatMap((p, i) => (p.layout === "ohwi" ? [{ i, shape: p.shape.join(", ") }] : []));
  const copy = (values: string) => (ohwi.length > 0 ? `this.checkpointCopy(i, ${values})` : `${values}.slice()`);
  return [
    ...method(ts, "parameters()", "Parameter[]", ["return this.params;"]),
    ...method(ts, "getWeights()", "Map<string, FloatArray>", [
      `const weights = new Map${ts("<string, FloatArray>")}();`,
      `info.params.forEach((p, i) => weights.set(p.name, ${copy(`this.${PARAM_BUFFERS}[i]${bang}[0]`)}));`,
      "return weights;",
    ]),
    "/** Gradients of the last forwardBackward, in checkpoint layout. */",
    ...method(ts, "getGradients()", "Map<string, FloatArray>", [
      `const grads = new Map${ts("<string, FloatArray>")}();`,
      "info.params.forEach((p, i) => {",
      `const grad = this.${PARAM_BUFFERS}[i]${bang}[1];`,
      `if (grad !== null) grads.set(p.name, ${copy("grad")});`,
      "});",
      "return grads;",
    ]),
    ...method(ts, `setWeights(weights${ts(": Map<string, FloatArray>")})`, "void", [
      "checkParameterValues(info.params, weights);",
      `info.params.forEach((p, i) => this.loadParam(i, weights.get(p.name)${bang}));`,
    ]),
    ...(ohwi.length > 0
      ? [
          "/** A copy of a parameter's values (or its gradient's) in checkpoint layout. */",
          ...method(
            ts,
            `checkpointCopy(index${ts(": number")}, values${ts(": F")})`,
            "F",
            ["switch (index) {", ...ohwi.map(({ i, shape }) => `case ${i}: return oihwFromOhwi(values, ${shape});`), "default: return values.slice();", "}"],
            true,
          ),
        ]
      : []),
    "/** Copies a parameter from checkpoint layout into its internal layout. */",
    ...method(
      ts,
      `loadParam(index${ts(": number")}, values${ts(": ArrayLike<number>")})`,
      "void",
      [
        `const buffer = this.${PARAM_BUFFERS}[index]${bang}[0];`,
        ...(ohwi.length > 0
          ? ["switch (index) {", ...ohwi.map(({ i, shape }) => `case ${i}: ohwiFromOihw(values, buffer, ${shape}); break;`), "default: buffer.set(values);", "}"]
          : ["buffer.set(values);"]),
      ],
      true,
    ),
  ];
}

function findNonFiniteBody({ program, ts }: ClassParts): string[] {
  const asConst = ts(" as const");
  // The index found is into the buffer, so a conv2d weight's label gives its internal layout,
  // [out, kh, kw, in] (layoutHelpers), not the checkpoint's [out, in, kh, kw].
  const ohwi = program.params.flatMap((p, i) => (p.layout === "ohwi" ? [i] : []));
  const shape = ohwi.length === 0 ? "p.shape" : `(${literal(ohwi)}.includes(i) ? [p.shape[0], p.shape[2], p.shape[3], p.shape[1]] : p.shape)`;
  // In the order a failure propagates: activations, then gradients (parameters' first, as
  // allocated), then parameters. Parameters and their gradients are listed from paramBuffers,
  // the others from the buffer table, where they carry what they hold.
  const watched = (gradients: boolean) => `...watchedBuffers(${BUFFER_TABLE}, this.${BUFFERS}, n, ${gradients}),`;
  return [
    "const n = this.lastBatch;",
    `const params = info.params.map((p, i) => [p, this.${PARAM_BUFFERS}[i]${ts("!")}]${asConst});`,
    `return firstNonFinite([`,
    watched(false),
    `...params.flatMap(([p, [, grad]]) => (grad === null ? [] : [[\`gradient of \${p.name}\`, grad, grad.length]${asConst}])),`,
    watched(true),
    `...params.map(([p, [value]]${ohwi.length === 0 ? "" : ", i"}) => [\`\${p.name} [\${${shape}.join(", ")}]\`, value, value.length]${asConst}),`,
    "]);",
  ];
}

/** The module-level table of every buffer (runtime/buffers.ts): one line a buffer. */
const BUFFER_TABLE = "buffers";

/**
 * The buffer table: each buffer's element type and size, and for an activation or a value's
 * gradient what it holds (findNonFinite's label). Activations, gradients and parameters are
 * named after their layer; a scratch buffer's name is a few words of its purpose, so its
 * comment says the rest.
 */
function bufferTable(plan: MemoryPlan, ts: Ts): string[] {
  const row = (a: MemoryPlan["allocations"][number]): string => {
    const label = (a.watch === "activation" || a.watch === "gradient") && a.param === undefined ? `, ${literal(a.what)}` : "";
    const comment = a.watch === null ? ` // ${commentText(a.what)}` : "";
    return `${a.field}: [${literal(a.type)}, ${a.perSample}, ${a.fixed}${label}],${comment}`;
  };
  return [
    "/**",
    " * Every buffer of the model, in memory order: [element type (F: this model's float type),",
    " * elements per sample, fixed elements], and for an activation or a gradient findNonFinite",
    " * checks, what it holds. Sized for maxBatch samples when a model is created.",
    " */",
    `const ${BUFFER_TABLE} = {`,
    ...plan.allocations.map(row),
    `}${ts(" as const satisfies BufferTable")};`,
    "",
  ];
}
