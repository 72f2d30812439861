// Assembles the emitted module: imports from the runtime, the model's `info`, its kernels, and
// the model class that owns every buffer and calls the kernels in order. The module is built
// as one array of statements handed to ts-morph in a single `createSourceFile` (adding
// declarations one call at a time grows quadratically with their number).

import { Project, Scope, StructureKind, type ClassDeclarationStructure, type OptionalKind, type MethodDeclarationStructure } from "ts-morph";
import type { ModelInfo } from "../../runtime/model.js";
import type { BackwardSchedule } from "../ir/autodiff.js";
import type { IrProgram } from "../ir/ir.js";
import { activationHelpers } from "../ir/ops/activations.js";
import { backwardKernels, forwardKernels, indent, kernelSource, lossKernels, type Kernel } from "./kernels.js";
import type { MemoryPlan } from "./memory.js";

export interface ModuleOptions {
  dtype: "float32" | "float64";
  runtimeImport: string;
  /** Run TypeScript's formatter over the file (ts-morph `formatText`). */
  pretty: boolean;
}

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

/** A class name from the model's name: `MnistMlp` stays, anything else becomes an identifier. */
function className(name: string): string {
  const cleaned = name.replace(/[^A-Za-z0-9_$]/g, "_");
  return /^[A-Za-z_$]/.test(cleaned) ? cleaned : `Model_${cleaned}`;
}

function method(name: string, params: [string, string][], returnType: string, body: string[], scope?: "private"): OptionalKind<MethodDeclarationStructure> {
  return {
    name,
    parameters: params.map(([n, t]) => ({ name: n, type: t })),
    returnType,
    statements: indent(body),
    ...(scope ? { scope: Scope.Private } : {}),
  };
}

function layoutHelpers(program: IrProgram): string[] {
  if (!program.params.some((p) => p.layout === "ohwi")) return [];
  return [
    indent([
      "// conv2d weights: checkpoints hold PyTorch's [out, in, kh, kw]; kernels read [out, kh, kw, in],",
      "// so that one output channel's weights line up with one im2col row.",
      "function ohwiFromOihw(src: ArrayLike<number>, dst: F, o: number, c: number, kh: number, kw: number): void {",
      "for (let a = 0; a < o; a++) for (let b = 0; b < c; b++) for (let i = 0; i < kh; i++) for (let j = 0; j < kw; j++) {",
      "dst[((a * kh + i) * kw + j) * c + b] = src[((a * c + b) * kh + i) * kw + j];",
      "}",
      "}",
      "function oihwFromOhwi(src: F, o: number, c: number, kh: number, kw: number): F {",
      "const dst = new F(src.length);",
      "for (let a = 0; a < o; a++) for (let b = 0; b < c; b++) for (let i = 0; i < kh; i++) for (let j = 0; j < kw; j++) {",
      "dst[((a * c + b) * kh + i) * kw + j] = src[((a * kh + i) * kw + j) * c + b];",
      "}",
      "return dst;",
      "}",
    ]),
  ];
}

const ARGUMENT_CHECKS = indent([
  "// Checks of the caller's arrays: each failure names the tensor and says what was expected.",
  "function floatArg(record: Record<string, FloatArray | Int32Array>, what: string, name: string, length: number): F {",
  "const a = record[name];",
  "if (a === undefined) throw new Error(`missing ${what} '${name}'`);",
  "if (!(a instanceof F)) throw new Error(`${what} '${name}' must be a ${F.name} (this model's dtype is ${info.dtype}), got ${a.constructor.name}`);",
  "if (a.length < length) throw new Error(`${what} '${name}' has ${a.length} values, the batch needs ${length}`);",
  "return a;",
  "}",
  "function intArg(record: Record<string, FloatArray | Int32Array>, what: string, name: string, length: number, vocab: number): Int32Array {",
  "const a = record[name];",
  "if (a === undefined) throw new Error(`missing ${what} '${name}'`);",
  "if (!(a instanceof Int32Array)) throw new Error(`${what} '${name}' holds integers and must be an Int32Array, got ${a.constructor.name}`);",
  "if (a.length < length) throw new Error(`${what} '${name}' has ${a.length} values, the batch needs ${length}`);",
  "for (let i = 0; i < length; i++) {",
  "const v = a[i];",
  "if (!(v >= 0 && v < vocab)) throw new Error(`${what} '${name}' value ${v} at index ${i} is outside 0..${vocab - 1}`);",
  "}",
  "return a;",
  "}",
]);

export function emitModuleSource(program: IrProgram, schedule: BackwardSchedule, plan: MemoryPlan, options: ModuleOptions): string {
  const { dtype } = options;
  const info = modelInfo(program, dtype);
  const forward = forwardKernels(program, plan, dtype);
  const backward = backwardKernels(program, schedule, plan, dtype);
  const loss = lossKernels(program, schedule, plan);
  const inferOnlyKernels = forward.infer.filter((k) => !forward.train.some((t) => t.name === k.name));
  const kernels: Kernel[] = [
    ...forward.train,
    ...inferOnlyKernels,
    ...backward,
    ...loss.value,
    ...loss.gradient,
    ...(loss.accuracy ? [loss.accuracy.kernel] : []),
  ];
  const kernelText = kernels.map(kernelSource);
  const helpers = Object.entries(activationHelpers)
    .filter(([name]) => kernelText.some((k) => k.includes(`${name}(`)))
    .map(([, source]) => source);
  const usesErf = kernelText.some((k) => /\berf\(/.test(k));
  const runtimeValues = ["Rng", "RngStream", "createOptimizer", "initTensor", ...(usesErf ? ["erf"] : [])];
  const runtimeTypes = ["Batch", "BatchMetrics", "CompiledModel", "CreateOptions", "FloatArray", "ModelInfo", "Optimizer", "Parameter", "RandomSource"];
  const F = dtype === "float32" ? "Float32Array" : "Float64Array";
  const name = className(program.graph.name);

  const statements: string[] = [
    `// ${program.graph.name}: generated by nnc from the .nn model. Do not edit; recompile instead.`,
    `import { ${runtimeValues.join(", ")} } from ${JSON.stringify(options.runtimeImport)};`,
    `import type { ${runtimeTypes.join(", ")} } from ${JSON.stringify(options.runtimeImport)};`,
    `/** The element type of every float buffer of this model (${dtype}). */`,
    `const F = ${F};`,
    `type F = ${F};`,
    `export const info: ModelInfo = ${JSON.stringify(info)};`,
    ARGUMENT_CHECKS,
    ...layoutHelpers(program),
    ...helpers,
    ...kernelText,
  ];

  const sourceFile = new Project({ useInMemoryFileSystem: true }).createSourceFile(
    "model.ts",
    { statements: [...statements, modelClass(program, schedule, plan, name, forward, backward, loss), `/** A new ${program.graph.name}: initial weights from the seed, or the given weights. */\nexport function create(options: CreateOptions = {}): ${name} {\n  return new ${name}(options);\n}`] },
    { overwrite: true },
  );
  if (options.pretty) sourceFile.formatText({ indentSize: 2, convertTabsToSpaces: true });
  return sourceFile.getFullText();
}

function modelClass(
  program: IrProgram,
  schedule: BackwardSchedule,
  plan: MemoryPlan,
  name: string,
  forward: { train: Kernel[]; infer: Kernel[] },
  backward: Kernel[],
  loss: ReturnType<typeof lossKernels>,
): OptionalKind<ClassDeclarationStructure> & { kind: StructureKind.Class } {
  const properties: ClassDeclarationStructure["properties"] = [
    { name: "info", isReadonly: true, type: "ModelInfo", initializer: "info" },
    { name: "maxBatch", isReadonly: true, type: "number" },
    { name: "optimizer", isReadonly: true, type: "Optimizer | null" },
    { name: "rng", isReadonly: true, type: "Rng" },
    { name: "params", isReadonly: true, type: "Parameter[]", scope: Scope.Private, docs: ["Trainable parameters for the optimizer, built once."] },
    { name: "lastBatch", type: "number", scope: Scope.Private, initializer: "0", docs: ["Size of the last batch run, for findNonFinite."] },
  ];
  for (const b of plan.bound) {
    properties.push({
      name: b.field,
      type: b.value.kind === "int" ? "Int32Array" : "F",
      scope: Scope.Private,
      initializer: b.value.kind === "int" ? "new Int32Array(0)" : "new F(0)",
      docs: [`The caller's ${b.value.role} '${b.value.name}' for the current call (not copied).`],
    });
  }
  for (const a of plan.allocations) {
    properties.push({ name: a.field, isReadonly: true, type: "F", scope: Scope.Private, docs: [a.what] });
  }

  const ctor: string[] = [
    "const maxBatch = options.maxBatch ?? info.train.batch ?? 32;",
    "if (!Number.isInteger(maxBatch) || maxBatch < 1) throw new Error(`maxBatch must be a positive integer, got ${maxBatch}`);",
    "this.maxBatch = maxBatch;",
    "const root = new Rng(options.seed ?? info.train.seed ?? 0);",
    "this.rng = root.fork(RngStream.dropout);",
    ...plan.allocations.map((a) => `this.${a.field} = new F(${a.perSample === 0 ? a.fixed : `maxBatch * ${a.perSample}${a.fixed ? ` + ${a.fixed}` : ""}`});`),
    `this.params = [${program.params
      .map((p, i) => (p.trainable ? `{ name: ${JSON.stringify(p.name)}, value: this.param${i}, grad: this.grad${i} }` : null))
      .filter((s) => s !== null)
      .join(", ")}];`,
    "this.optimizer = info.optimizer ? createOptimizer(info.optimizer) : null;",
    "if (options.weights) {",
    "this.setWeights(options.weights);",
    "} else {",
    "const initRng = root.fork(RngStream.init);",
    ...program.params.map((p, i) => `this.loadParam(${i}, initTensor(info.params[${i}]!.init, info.params[${i}]!.shape, initRng, info.dtype));`),
    "}",
  ];

  const loadCases = program.params.map((p, i) => {
    const [o, c, kh, kw] = p.shape;
    return p.layout === "ohwi"
      ? `case ${i}: ohwiFromOihw(values, this.param${i}, ${o}, ${c}, ${kh}, ${kw}); break;`
      : `case ${i}: this.param${i}.set(values); break;`;
  });
  const checkpointValue = (i: number, field: string): string => {
    const p = program.params[i]!;
    const [o, c, kh, kw] = p.shape;
    return p.layout === "ohwi" ? `oihwFromOhwi(this.${field}, ${o}, ${c}, ${kh}, ${kw})` : `this.${field}.slice()`;
  };

  const bindInputs = (record: string, n: string): string[] =>
    program.inputs.map((input, i) => bindOne(program, input.value, `input${i}`, record, "input", n));
  const bindTargets = (record: string, n: string): string[] =>
    program.targets.map((target, i) => bindOne(program, target.value, `target${i}`, record, "target", n));

  const outputs = program.outputs
    .map((o) => `${JSON.stringify(o.name)}: this.${plan.data[o.value]}.subarray(0, n * ${program.values[o.value]!.size})`)
    .join(", ");

  const watched = plan.allocations.filter((a) => a.watch !== null);
  const methods: OptionalKind<MethodDeclarationStructure>[] = [
    method("predict", [["inputs", "Record<string, FloatArray | Int32Array>"], ["size", "number"]], "Record<string, FloatArray>", [
      "const n = this.batchSize(size);",
      ...bindInputs("inputs", "n"),
      "this.forwardInfer(n);",
      `return { ${outputs} };`,
    ]),
    method("trainStep", [["batch", "Batch"]], "number", [
      "const optimizer = this.optimizer;",
      `if (optimizer === null) throw new Error(${JSON.stringify(`model ${program.graph.name} declares no optimizer: add one such as \`optimizer adam(lr: 0.001)\` to train it`)});`,
      "const loss = this.forwardBackward(batch);",
      "optimizer.update(this.params);",
      "return loss;",
    ]),
    method("forwardBackward", [["batch", "Batch"]], "number", [
      ...(program.losses.length === 0
        ? [`throw new Error(${JSON.stringify(`model ${program.graph.name} declares no loss: add a \`loss\` line to train it`)});`]
        : [
            "const n = this.batchSize(batch.size);",
            ...bindInputs("batch.inputs", "n"),
            ...bindTargets("batch.targets", "n"),
            "this.forwardTrain(n);",
            `const loss = ${loss.value.map((k) => k.call).join(" + ")};`,
            ...loss.gradient.map((k) => k.call),
            ...backward.map((k) => k.call),
            "return loss;",
          ]),
    ]),
    method("evaluate", [["batch", "Batch"]], "BatchMetrics", [
      ...(program.losses.length === 0
        ? [`throw new Error(${JSON.stringify(`model ${program.graph.name} declares no loss to evaluate`)});`]
        : [
            "const n = this.batchSize(batch.size);",
            ...bindInputs("batch.inputs", "n"),
            ...bindTargets("batch.targets", "n"),
            "this.forwardInfer(n);",
            `const loss = ${loss.value.map((k) => k.call).join(" + ")};`,
            loss.accuracy
              ? `return { loss, correct: ${loss.accuracy.kernel.call}, count: n * ${loss.accuracy.perSample} };`
              : "return { loss, correct: 0, count: 0 };",
          ]),
    ]),
    method("parameters", [], "Parameter[]", ["return this.params;"]),
    method("getWeights", [], "Map<string, FloatArray>", [
      "const weights = new Map<string, FloatArray>();",
      ...program.params.map((p, i) => `weights.set(${JSON.stringify(p.name)}, ${checkpointValue(i, `param${i}`)});`),
      "return weights;",
    ]),
    method("getGradients", [], "Map<string, FloatArray>", [
      "const grads = new Map<string, FloatArray>();",
      ...program.params.flatMap((p, i) => (p.trainable ? [`grads.set(${JSON.stringify(p.name)}, ${checkpointValue(i, `grad${i}`)});`] : [])),
      "return grads;",
    ]),
    method("setWeights", [["weights", "Map<string, FloatArray>"]], "void", [
      "info.params.forEach((p, i) => {",
      "const values = weights.get(p.name);",
      "if (values === undefined) throw new Error(`missing weight '${p.name}' (shape [${p.shape.join(', ')}])`);",
      "const expected = p.shape.reduce((a, b) => a * b, 1);",
      "if (values.length !== expected) throw new Error(`weight '${p.name}' has ${values.length} values, shape [${p.shape.join(', ')}] needs ${expected}`);",
      "});",
      "info.params.forEach((p, i) => this.loadParam(i, weights.get(p.name)!));",
    ]),
    method("findNonFinite", [], "string | null", [
      "const n = this.lastBatch;",
      `const buffers: [string, F, number][] = [${watched
        .map((a) => `[${JSON.stringify(a.what)}, this.${a.field}, ${a.perSample === 0 ? a.fixed : `n * ${a.perSample}`}]`)
        .join(", ")}];`,
      "for (const [what, data, length] of buffers) {",
      "for (let i = 0; i < length; i++) if (!Number.isFinite(data[i])) return `${what} at index ${i}`;",
      "}",
      "return null;",
    ]),
    method("batchSize", [["size", "number"]], "number", [
      "if (!Number.isInteger(size) || size < 1 || size > this.maxBatch) {",
      "throw new Error(`batch size must be an integer from 1 to maxBatch (${this.maxBatch}), got ${size}`);",
      "}",
      "this.lastBatch = size;",
      "return size;",
    ], "private"),
    method("loadParam", [["index", "number"], ["values", "ArrayLike<number>"]], "void", [
      "switch (index) {",
      ...loadCases,
      "}",
    ], "private"),
    method("forwardTrain", [["n", "number"]], "void", forward.train.map((k) => k.call), "private"),
    method("forwardInfer", [["n", "number"]], "void", forward.infer.map((k) => k.call), "private"),
  ];
  return {
    kind: StructureKind.Class,
    name,
    isExported: true,
    implements: ["CompiledModel"],
    docs: [`The ${program.graph.name} model: every buffer allocated once in the constructor, kernels called in order.`],
    properties,
    ctors: [{ parameters: [{ name: "options", type: "CreateOptions", initializer: "{}" }], statements: indent(ctor) }],
    methods,
  };
}

function bindOne(program: IrProgram, value: number, field: string, record: string, what: string, n: string): string {
  const v = program.values[value]!;
  return v.kind === "int"
    ? `this.${field} = intArg(${record}, "${what}", ${JSON.stringify(v.name)}, ${n} * ${v.size}, ${vocabOf(program, v.name, what)});`
    : `this.${field} = floatArg(${record}, "${what}", ${JSON.stringify(v.name)}, ${n} * ${v.size});`;
}

function vocabOf(program: IrProgram, name: string, what: string): number {
  const list = what === "input" ? program.graph.inputs : program.graph.targets;
  const t = list.find((x) => x.name === name);
  const vocab = t?.type.vocab;
  if (vocab === undefined) throw new Error(`internal error: int ${what} '${name}' has no vocabulary size`);
  return vocab;
}
