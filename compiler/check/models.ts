// Evaluating one model statement by statement into its ModelGraph: inputs and targets
// declared, bindings and outputs evaluated, loss, optimizer and training defaults read;
// then what the whole model must have (an output; a loss and an optimizer to be trainable;
// parameter names that do not collide). A model with any error yields no graph.
import type { ModelDecl, Statement, TopLevel } from "../../grammar/ast.js";
import type { ModelGraph, TensorType } from "../graph.js";
import { layerEntries } from "../library/index.js";
import { codes } from "./codes.js";
import { rootFrame, type Evaluation, type Frame } from "./frame.js";
import { GraphBuilder } from "./graph-builder.js";
import { formatCount } from "./limits.js";
import type { Reporter } from "./report.js";
import type { Declaration } from "./symbols.js";
import { countElements, maxElements } from "./tensor-size.js";
import { evaluateLoss, evaluateOptimizer, evaluateTrain } from "./training-statements.js";
import type { Value } from "./types.js";

/**
 * The graph of `model`, or null when it has an error: reported here, or earlier (`broken`:
 * the top-level items holding a name error), or in a block or file const it leans on.
 */
export function buildModelGraph(ev: Evaluation, model: ModelDecl, reporter: Reporter, broken: ReadonlySet<TopLevel>): ModelGraph | null {
  const builder = new GraphBuilder();
  const before = reporter.errorCount;
  const frame = rootFrame(reporter, builder);
  const graph: ModelGraph = {
    name: model.name.name,
    inputs: [],
    targets: [],
    nodes: builder.nodes,
    outputs: [],
    losses: [],
    optimizer: null,
    train: {},
    params: [],
  };
  const targets = new Map<Declaration, TensorType>();
  for (const s of model.body) modelStatement(ev, s, frame, graph, targets);
  if (graph.outputs.length === 0 && !model.body.some((s) => s.kind === "Output") && !model.name.missing) {
    reporter.report(codes.noOutput, `model '${model.name.name}' has no output; add one: \`output y = ...\``, model.name.range);
  }
  if (!model.name.missing && (!model.body.some((s) => s.kind === "Loss") || !model.body.some((s) => s.kind === "Optimizer"))) {
    const lacking = [
      model.body.some((s) => s.kind === "Loss") ? null : "loss",
      model.body.some((s) => s.kind === "Optimizer") ? null : "optimizer",
    ].filter((x) => x !== null);
    reporter.report(
      codes.notTrainable,
      `model '${model.name.name}' has no ${lacking.join(" and no ")}: it can be compiled for inference but not trained`,
      model.name.range,
    );
  }
  graph.params = builder.paramsSince(0);
  checkGradientPaths(graph, model, reporter);
  checkParameterCount(graph, model, reporter);
  checkUniqueParamNames(graph, model, reporter);
  if (builder.failed || reporter.errorCount > before || broken.has(model)) return null;
  return graph;
}

/**
 * Parameters the loss depends on only through a layer that passes no gradient back
 * (`x |> dense(8) |> rate_encode(steps: 25)`) compile and keep a zero gradient: say so, at the
 * model, naming the first such layer, rather than leave a user wondering why it never learns.
 */
function checkGradientPaths(graph: ModelGraph, model: ModelDecl, reporter: Reporter): void {
  if (graph.losses.length === 0) return;
  const reaches = graph.nodes.map(() => false);
  const gradientReaches = graph.nodes.map(() => false);
  for (const loss of graph.losses) reaches[loss.prediction] = gradientReaches[loss.prediction] = true;
  for (let i = graph.nodes.length - 1; i >= 0; i--) {
    const node = graph.nodes[i]!;
    const passes = gradientReaches[i] && layerEntries.get(node.op)?.noGradient !== true;
    for (const input of node.inputs) {
      if (reaches[i]) reaches[input] = true;
      if (passes) gradientReaches[input] = true;
    }
  }
  const stranded = graph.nodes.find((n) => reaches[n.id] && !gradientReaches[n.id] && n.params.some((p) => p.trainable));
  if (!stranded) return;
  const blocker = graph.nodes.find((n) => reaches[n.id] && layerEntries.get(n.op)?.noGradient === true && n.id > stranded.id);
  reporter.report(
    codes.neverTrained,
    `model '${model.name.name}': '${stranded.op}' at ${stranded.source.line}:${stranded.source.column} reaches the loss only through '${blocker?.op ?? "a layer"}'${blocker ? ` at ${blocker.source.line}:${blocker.source.column}` : ""}, which passes no gradient back: its parameters never train`,
    model.name.range,
  );
}

/**
 * Training keeps each parameter's value, gradient and optimizer state in typed arrays of at
 * most 2^31 - 1 elements, and a model past that many in all needs tens of GB before its first
 * step: refuse it here, where the file is, rather than after minutes of allocating.
 */
function checkParameterCount(graph: ModelGraph, model: ModelDecl, reporter: Reporter): void {
  const total = countElements(graph.params);
  if (total <= maxElements) return;
  reporter.report(
    codes.tooManyParameters,
    `model '${model.name.name}' has ${formatCount(total)} parameters; the limit is ${formatCount(maxElements)} (at 4 bytes each, with gradients and optimizer state, already over 30 GB): make its layers narrower or fewer`,
    model.name.range,
  );
}

/** A later binding named like an earlier one's suffix (`x_1` beside a shadowed `x`) could collide; refuse it rather than lose a weight. */
function checkUniqueParamNames(graph: ModelGraph, model: ModelDecl, reporter: Reporter): void {
  const seen = new Set<string>();
  for (const p of graph.params) {
    if (seen.has(p.name)) {
      reporter.report(
        codes.duplicateName,
        `two parameters would both be named '${p.name}'; rename the binding '${p.name.split(".")[0]}'`,
        model.name.range,
      );
      return;
    }
    seen.add(p.name);
  }
}

function modelStatement(ev: Evaluation, s: Statement, frame: Frame, graph: ModelGraph, targets: Map<Declaration, TensorType>): void {
  switch (s.kind) {
    case "Input": {
      const decl = ev.declarationOf(s.name);
      const type = ev.evaluateType(s.type, frame);
      if (!type) frame.builder!.failed = true;
      if (!decl || !type) return;
      const node = frame.builder!.add({
        op: "input",
        inputs: [],
        args: {},
        type,
        params: [],
        source: ev.source(s),
        name: s.name.name,
      });
      const value: Value = { kind: "tensor", type, node };
      frame.env.set(decl, value);
      graph.inputs.push({ name: s.name.name, type, node });
      ev.record(s.name, value, frame);
      return;
    }
    case "Target": {
      const decl = ev.declarationOf(s.name);
      const type = ev.evaluateType(s.type, frame);
      if (!type) frame.builder!.failed = true;
      if (!decl || !type) return;
      targets.set(decl, type);
      graph.targets.push({ name: s.name.name, type });
      ev.record(s.name, { kind: "tensor", type, node: -1 }, frame);
      return;
    }
    case "Output": {
      const value = ev.bodyStatement(s, frame);
      if (value?.kind === "tensor") graph.outputs.push({ name: s.name.name, type: value.type, node: value.node });
      return;
    }
    case "Loss":
      return evaluateLoss(ev, s.value, frame, graph, targets);
    case "Optimizer":
      graph.optimizer = evaluateOptimizer(ev, s.value, frame);
      return;
    case "Train":
      graph.train = evaluateTrain(ev, s, frame);
      return;
    default:
      ev.bodyStatement(s, frame);
  }
}
