// The types an emitted TypeScript module exports for its own model: its inputs, targets,
// outputs and batch, one property per named tensor, so that a misspelt name or an array of
// the wrong kind fails in the user's editor rather than at run time.
//
// They are type aliases of object types, not interfaces, on purpose: only an alias gets the
// implicit index signature that makes `{ x: Float32Array }` assignable to the runtime's
// `Record<string, FloatArray | Int32Array>`. That is what lets the class narrow the
// parameters of `CompiledModel`'s methods (checked bivariantly, being methods) and still
// implement it, so the runtime's `train`, `evaluate` and `predict` take the class unchanged.

import { formatShape } from "../../runtime/data.js";
import type { DType, ModelInfo, TensorInfo } from "../../runtime/model.js";
import { commentText, identifier, propertyKey } from "./inert-text.js";

/** The exported names of a model's types, from its class name: `Xor` -> `XorInputs`, ... */
export interface ModelTypeNames {
  inputs: string;
  targets: string;
  outputs: string;
  batch: string;
}

export function modelTypeNames(className: string): ModelTypeNames {
  const name = (suffix: string) => identifier(`${className}${suffix}`);
  return { inputs: name("Inputs"), targets: name("Targets"), outputs: name("Outputs"), batch: name("Batch") };
}

/** The array type holding a tensor of this kind in a module of this dtype. */
function arrayType(kind: TensorInfo["kind"], dtype: DType): string {
  if (kind === "int") return "Int32Array";
  return dtype === "float64" ? "Float64Array" : "Float32Array";
}

/** A tensor's per-sample type as the .nn file writes it: `[2]`, `int(10) [8]`. */
function describeTensor(tensor: TensorInfo): string {
  const shape = formatShape(tensor.shape);
  return tensor.kind === "int" ? `int(${tensor.vocab ?? "?"}) ${shape}` : shape;
}

/** `type Name = { ... }`, each property documented with its shape so that editors show it on hover. */
function tensorRecord(doc: string, name: string, tensors: readonly TensorInfo[], dtype: DType): string[] {
  // An empty object type would accept anything but null; a model without targets takes none.
  if (tensors.length === 0) return [`/** ${commentText(doc)} (none). */`, `export type ${name} = Record<string, never>;`];
  return [
    `/** ${commentText(doc)}. */`,
    `export type ${name} = {`,
    ...tensors.flatMap((t) => [`/** ${commentText(describeTensor(t))} */`, `${propertyKey(t.name)}: ${arrayType(t.kind, dtype)};`]),
    "};",
  ];
}

/** The declarations, one list of lines each (the JavaScript dialect has no types, so only TypeScript carries them). */
export function modelTypeDeclarations(info: ModelInfo, names: ModelTypeNames): string[][] {
  const layout = "one flat array per tensor, sample after sample (row-major, the batch first)";
  return [
    tensorRecord(`The inputs of ${info.name}, for \`predict\` and in batches: ${layout}`, names.inputs, info.inputs, info.dtype),
    tensorRecord(`The targets of ${info.name}, laid out as its inputs`, names.targets, info.targets, info.dtype),
    tensorRecord(`What \`predict\` returns: a view of each output's buffer, valid until the next call`, names.outputs, info.outputs, info.dtype),
    [
      `/** One batch for \`trainStep\`, \`forwardBackward\` and \`evaluate\`: \`size\` samples, from 1 to \`maxBatch\`. */`,
      `export type ${names.batch} = {`,
      "size: number;",
      `inputs: ${names.inputs};`,
      `targets: ${names.targets};`,
      "};",
    ],
  ];
}
