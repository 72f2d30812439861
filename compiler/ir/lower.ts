// From the checked model to the IR: each graph node becomes one IR op or a few (attention
// becomes four dense projections around the attention core), its parameters become
// parameter values, and every op's shape rule is checked against the shape the checker
// inferred, so that a disagreement between front and back end is caught here, at compile
// time, with the `.nn` line that caused it.

import type { GraphNode, ModelGraph, ParamSpec } from "../graph.js";
import { layerEntries, withDefaults } from "../library/index.js";
import type { CompositeExpr } from "../library/types.js";
import { product, type Attrs, type IrOp, type IrProgram, type IrValue, type ParamLayout } from "./ir.js";
import { LoweringError, errorAt, type Lowering, type LoweringBuilder } from "./lowering.js";
import { losses } from "./ops/losses.js";
import { lowerings } from "./ops/index.js";
import type { OpDef } from "./ops/op.js";

export { LoweringError } from "./lowering.js";

class Builder implements LoweringBuilder {
  readonly program: IrProgram;

  constructor(graph: ModelGraph) {
    this.program = { graph, values: [], ops: [], params: [], inputs: [], targets: [], outputs: [], losses: [] };
  }

  value(v: Omit<IrValue, "id" | "size">): number {
    const id = this.program.values.length;
    this.program.values.push({ ...v, id, size: product(v.shape) });
    return id;
  }

  param(spec: ParamSpec, layout: ParamLayout = "direct"): number {
    const shape = layout === "ohwi" ? [spec.shape[0]!, spec.shape[2]!, spec.shape[3]!, spec.shape[1]!] : spec.shape;
    const index = this.program.params.length;
    const value = this.value({ name: spec.name, shape, kind: "float", role: "param", batched: false, param: index });
    this.program.params.push({ name: spec.name, shape: spec.shape, layout, init: spec.init, trainable: spec.trainable, value });
    return value;
  }

  op<A extends Attrs>(node: GraphNode, def: OpDef<A>, inputs: number[], attrs: A, label: string): number {
    const inputValues = inputs.map((i) => this.program.values[i]!);
    const shape = def.shape(inputValues, attrs);
    if (typeof shape === "string") throw errorAt(node, `${shape}`);
    const output = this.value({ name: label, shape, kind: "float", role: "activation", batched: true });
    const op: IrOp = { id: this.program.ops.length, op: def.name, inputs, output, attrs, source: node.source, label };
    this.program.ops.push(op);
    return output;
  }
}

/** Names the parts of one composite as the checker names layers: `y.mish_0.softplus_0`. */
class PartLabels {
  private readonly counts = new Map<string, number>();
  constructor(readonly whole: string) {}
  next(entry: string): string {
    const k = this.counts.get(entry) ?? 0;
    this.counts.set(entry, k + 1);
    return `${this.whole}.${entry}_${k}`;
  }
}

/**
 * A library entry written from other entries (`mish` as `x * tanh(softplus(x))`): each
 * sub-expression lowers as that entry would, with the composite's arguments, so it needs no
 * op, kernel or gradient of its own.
 */
function lowerComposite(expr: CompositeExpr, node: GraphNode, b: Builder, inputs: readonly number[], labels: PartLabels, outermost: boolean): number {
  if ("input" in expr) {
    const v = inputs[expr.input];
    if (v === undefined) throw errorAt(node, `composite '${node.op}' reads input ${expr.input}, which it does not have`);
    return v;
  }
  const args = expr.inputs.map((e) => lowerComposite(e, node, b, inputs, labels, false));
  const name = outermost ? labels.whole : labels.next(expr.entry);
  const sub: GraphNode = { ...node, op: expr.entry, args: withDefaults(expr.entry, expr.args ?? {}), params: [], name };
  return lowerNode(sub, b, args);
}

function lowerNode(node: GraphNode, b: Builder, inputs: readonly number[]): number {
  const composite = layerEntries.get(node.op)?.composite;
  if (composite) return lowerComposite(composite, node, b, inputs, new PartLabels(node.name ?? `${node.op}#${node.id}`), true);
  const lowering: Lowering | undefined = lowerings.get(node.op);
  if (!lowering) throw errorAt(node, `the back end cannot compile '${node.op}' yet`);
  return lowering(node, b, inputs);
}

/** The IR of one checked model. Throws LoweringError when the back end cannot compile it. */
export function lower(graph: ModelGraph): IrProgram {
  const b = new Builder(graph);
  const nodeValue = new Map<number, number>();
  for (const node of graph.nodes) {
    if (node.op === "input") {
      const id = b.value({
        name: node.name ?? `input#${node.id}`,
        shape: node.type.shape,
        kind: node.type.kind,
        role: "input",
        batched: true,
      });
      nodeValue.set(node.id, id);
      continue;
    }
    const inputs = node.inputs.map((i) => {
      const v = nodeValue.get(i);
      if (v === undefined) throw errorAt(node, `input node ${i} is not computed before it is used`);
      return v;
    });
    const out = lowerNode(node, b, inputs);
    const got = b.program.values[out]!.shape;
    if (got.join(",") !== node.type.shape.join(",")) {
      throw errorAt(node, `the back end computes shape [${got.join(", ")}] where the checker inferred [${node.type.shape.join(", ")}]`);
    }
    nodeValue.set(node.id, out);
  }
  const valueOf = (node: number, what: string): number => {
    const v = nodeValue.get(node);
    if (v === undefined) throw new LoweringError(`${what} refers to node ${node}, which does not exist`);
    return v;
  };
  for (const input of graph.inputs) b.program.inputs.push({ name: input.name, value: valueOf(input.node, `input ${input.name}`) });
  for (const output of graph.outputs) b.program.outputs.push({ name: output.name, value: valueOf(output.node, `output ${output.name}`) });
  const targetValues = new Map<string, number>();
  for (const target of graph.targets) {
    const id = b.value({ name: target.name, shape: target.type.shape, kind: target.type.kind, role: "target", batched: true });
    targetValues.set(target.name, id);
    b.program.targets.push({ name: target.name, value: id });
  }
  for (const loss of graph.losses) {
    const def = losses[loss.op];
    if (!def) throw new LoweringError(`the back end has no loss '${loss.op}'`, loss.source);
    const target = targetValues.get(loss.target);
    if (target === undefined) throw new LoweringError(`no target named '${loss.target}'`, loss.source);
    b.program.losses.push({ op: loss.op, prediction: valueOf(loss.prediction, `loss ${loss.op}`), target, source: loss.source });
  }
  orderParams(graph, b.program);
  return b.program;
}

/**
 * Puts parameters in the checker's order (the order of checkpoints and `nnc summary`), and
 * makes sure every parameter it named found its op, or weights would silently go missing.
 */
function orderParams(graph: ModelGraph, program: IrProgram): void {
  const byName = new Map(program.params.map((p) => [p.name, p]));
  if (byName.size !== program.params.length) throw new LoweringError("two parameters share a name");
  const ordered = graph.params.map((spec) => {
    const p = byName.get(spec.name);
    if (!p) throw new LoweringError(`parameter '${spec.name}' is not used by any lowered op`);
    return p;
  });
  if (ordered.length !== program.params.length) throw new LoweringError("the graph's parameter list misses a node's parameter");
  program.params = ordered;
  ordered.forEach((p, i) => {
    program.values[p.value]!.param = i;
  });
}
