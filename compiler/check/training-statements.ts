// The statements that make a model trainable: `loss`, `optimizer` and `train { }`. Each
// checks its call or entries against the library and fills in the ModelGraph's loss terms,
// optimizer spec (hyperparameters and schedule) and training defaults.
import type { Expr, Statement } from "../../grammar/ast.js";
import type { ArgValue, LossTerm, ModelGraph, OptimizerSpec, ScheduleSpec, TensorType, TrainDefaults } from "../graph.js";
import { trainKeys } from "../library/index.js";
import { argumentProblem, describeValue } from "./argument-values.js";
import { argumentValue, libraryArguments } from "./call-arguments.js";
import { codes } from "./codes.js";
import type { Evaluation, Frame } from "./frame.js";
import type { Declaration } from "./symbols.js";

/** Adds the loss term of `loss f(prediction, target)`, the target being one of the model's declared `targets`. */
export function evaluateLoss(ev: Evaluation, value: Expr, frame: Frame, graph: ModelGraph, targets: Map<Declaration, TensorType>): void {
  const piped = value.kind === "Pipe" ? value : null;
  const site = piped ? piped.right : value;
  const bound = ev.resolution.calls.get(site);
  if (!bound || bound.callee.kind !== "loss") return;
  frame.namer.enterBinding("loss");
  const pipedValue = piped ? { expr: piped.left, value: ev.evaluate(piped.left, frame) } : null;
  const predictionArg = bound.args.get("prediction");
  const targetArg = bound.args.get("target");
  if (!predictionArg || !targetArg) return;
  const prediction = argumentValue(ev, predictionArg, pipedValue, frame);
  const targetDecl = targetArg.expr.kind === "Name" ? ev.resolution.symbols.definitionOf.get(targetArg.expr.name) : undefined;
  const target = targetDecl ? targets.get(targetDecl) : undefined;
  if (prediction.kind === "error" || !target || !targetDecl) return;
  if (prediction.kind !== "tensor") {
    frame.reporter.report(codes.expectedTensor, `a loss needs a tensor prediction, got ${describeValue(prediction)}`, predictionArg.range);
    return;
  }
  const entry = bound.callee.entry;
  const predictionText = ev.text.slice(predictionArg.expr.range.start.offset, predictionArg.expr.range.end.offset);
  const problem = entry.check(prediction.type, target, { prediction: predictionText, target: targetDecl.name.name });
  if (problem) {
    frame.reporter.report(codes.lossMismatch, problem, targetArg.expr.range);
    return;
  }
  const term: LossTerm = { op: entry.name, prediction: prediction.node, target: targetDecl.name.name, source: ev.source(value) };
  graph.losses.push(term);
}

export function evaluateOptimizer(ev: Evaluation, value: Expr, frame: Frame): OptimizerSpec | null {
  const bound = ev.resolution.calls.get(value);
  if (!bound || bound.callee.kind !== "optimizer") return null;
  const entry = bound.callee.entry;
  const args = libraryArguments(ev, entry.name, entry.args, bound, frame);
  if (!args) return null;
  const hyper: Record<string, number | boolean> = {};
  let schedule: ScheduleSpec = { name: "constant", args: {} };
  for (const [k, v] of Object.entries(args)) {
    if (typeof v === "number" || typeof v === "boolean") hyper[k] = v;
    else if (k === "schedule") schedule = scheduleSpec(v);
  }
  return { name: entry.name, args: hyper, schedule };
}

/** The defaults of `train { batch: 32, ... }`; a wrong entry is reported and left out. */
export function evaluateTrain(ev: Evaluation, s: Extract<Statement, { kind: "Train" }>, frame: Frame): TrainDefaults {
  const train: TrainDefaults = {};
  for (const entry of s.entries) {
    const decl = trainKeys.find((k) => k.name === entry.key.name);
    const v = ev.evaluate(entry.value, frame);
    if (!decl || v.kind === "error") continue;
    const problem = argumentProblem(v, decl.type, decl.name, "train");
    if (problem) {
      frame.reporter.report(codes.badArgument, problem, entry.value.range);
      continue;
    }
    if (v.kind === "number") train[decl.name as keyof TrainDefaults] = v.value;
  }
  return train;
}

/** An optimizer's `schedule` argument (a word or a call such as `cosine(warmup: 100)`) as the runtime reads it. */
function scheduleSpec(v: ArgValue): ScheduleSpec {
  if (typeof v === "string") return { name: v, args: {} };
  if (typeof v === "object" && !Array.isArray(v)) {
    const args: Record<string, number> = {};
    for (const [k, x] of Object.entries(v.args)) if (typeof x === "number") args[k] = x;
    return { name: v.name, args };
  }
  return { name: "constant", args: {} };
}
