// Applying a library layer at a call: its inputs and arguments evaluated, its shape rule
// (the registry's `infer`) run, its weights named, and one graph node added.
import type { Expr } from "../../grammar/ast.js";
import type { ParamSpec } from "../graph.js";
import { formatShape, isLayerError, type LayerEntry } from "../library/index.js";
import { libraryArguments, tensorInputs } from "./call-arguments.js";
import type { BoundCall } from "./calls.js";
import { codes } from "./codes.js";
import type { Evaluation, Frame, Piped } from "./frame.js";
import { countElements, elementCount, maxElements } from "./tensor-size.js";
import { errorValue, type Value } from "./types.js";

export function applyLayer(ev: Evaluation, entry: LayerEntry, bound: BoundCall, site: Expr, piped: Piped | null, frame: Frame): Value {
  const inputs = tensorInputs(ev, entry.inputs, bound, piped, frame);
  const args = libraryArguments(ev, entry.name, entry.args, bound, frame);
  if (!inputs || !args) return errorValue;
  const result = entry.infer(
    inputs.map((v) => v.type),
    args,
  );
  if (isLayerError(result)) {
    const at = result.at !== undefined ? bound.args.get(result.at)?.range : undefined;
    frame.reporter.report(at ? codes.badArgument : codes.layerConstraint, result.error, at ?? bound.calleeId.range);
    return errorValue;
  }
  let oversized = elementCount(result.type.shape) > maxElements ? result.type.shape : undefined;
  for (const w of result.weights) if (!oversized && elementCount(w.shape) > maxElements) oversized = w.shape;
  if (oversized) {
    frame.reporter.report(
      codes.layerConstraint,
      `'${entry.name}' would need a tensor of shape ${formatShape(oversized)}, more than ${maxElements.toLocaleString("en-US")} elements`,
      bound.calleeId.range,
    );
    return errorValue;
  }
  const name = frame.namer.next(entry.name);
  const params: ParamSpec[] = result.weights.map((w) => ({ name: `${name}.${w.name}`, shape: w.shape, init: w.init, trainable: w.trainable }));
  const node = frame.builder!.add({
    op: entry.name,
    inputs: inputs.map((v) => v.node),
    args: result.args ? { ...args, ...result.args } : args,
    type: result.type,
    params,
    source: ev.source(site),
    name,
  });
  const value: Value = { kind: "tensor", type: result.type, node };
  ev.record(site, value, frame, {
    kind: "layer",
    name: entry.name,
    doc: entry.doc,
    params,
    paramCount: countElements(params),
    ...(result.state ? { state: result.state } : {}),
  });
  return value;
}
