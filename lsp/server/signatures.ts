// What can be called, and with which parameters: library entries from the registry and the
// file's own blocks, in one shape for signature help, completion and hover.
import type { BlockDecl, Program } from "../../grammar/ast.js";
import type { ArgValue } from "../../compiler/graph.js";
import {
  initEntries,
  layerEntries,
  lossEntries,
  optimizerEntries,
  scheduleEntries,
  surrogateEntries,
  type ArgDecl,
  type ArgType,
} from "../../compiler/library/index.js";

export type CalleeKind = "layer" | "loss" | "optimizer" | "init" | "schedule" | "surrogate" | "block";

export interface ParameterInfo {
  name: string;
  /** `units: int`, `padding: same | valid = valid`. */
  label: string;
  doc: string;
  /** What the parameter accepts; tensors and block arguments have none. */
  type?: ArgType;
  /** A tensor input: passed positionally, never by name. */
  tensor: boolean;
}

export interface SignatureInfo {
  name: string;
  kind: CalleeKind;
  doc: string;
  parameters: ParameterInfo[];
}

/** `name(p1, p2)` as a label, e.g. `dense(units: int, init: init = ...)`. */
export function signatureLabel(s: SignatureInfo): string {
  return `${s.name}(${s.parameters.map((p) => p.label).join(", ")})`;
}

/**
 * The signature of `name` as written at a call. `piped` calls (`x |> dense(4)`) receive
 * their first tensor input from the pipe, so it is not among the parameters.
 */
export function signatureOf(name: string, program: Program, piped: boolean): SignatureInfo | undefined {
  const dropFirst = <T>(inputs: T[]): T[] => (piped ? inputs.slice(1) : inputs);
  const layer = layerEntries.get(name);
  if (layer) {
    const inputs = dropFirst(layer.inputs.map((i) => tensorParameter(i)));
    return { name, kind: "layer", doc: layer.doc, parameters: [...inputs, ...layer.args.map(argParameter)] };
  }
  const block = program.items.find((i): i is BlockDecl => i.kind === "Block" && i.name.name === name);
  if (block) {
    const inputs = dropFirst(block.body.filter((s) => s.kind === "Input").map((s) => tensorParameter(s.name.name)));
    const params = block.params.map((p) => ({
      name: p.name.name,
      label: p.type ? `${p.name.name}: ${p.type.name}` : p.name.name,
      doc: `argument of block ${name}`,
      tensor: false,
    }));
    return { name, kind: "block", doc: `block ${name}`, parameters: [...inputs, ...params] };
  }
  const loss = lossEntries.get(name);
  if (loss) {
    return {
      name,
      kind: "loss",
      doc: `${loss.doc} Target: ${loss.targetDoc}.`,
      parameters: [tensorParameter("prediction"), { ...tensorParameter("target"), doc: loss.targetDoc }],
    };
  }
  const withArgs = (kind: CalleeKind, entry: { doc: string; args: readonly ArgDecl[] } | undefined): SignatureInfo | undefined =>
    entry && { name, kind, doc: entry.doc, parameters: entry.args.map(argParameter) };
  return (
    withArgs("optimizer", optimizerEntries.get(name)) ??
    withArgs("init", initEntries.get(name)) ??
    withArgs("schedule", scheduleEntries.get(name)) ??
    withArgs("surrogate", surrogateEntries.get(name))
  );
}

function tensorParameter(name: string): ParameterInfo {
  return { name, label: name, doc: "a tensor input", tensor: true };
}

function argParameter(arg: ArgDecl): ParameterInfo {
  const fallback = arg.default !== undefined ? ` = ${formatArgValue(arg.default)}` : arg.defaultDoc ? " = (computed)" : "";
  const doc = arg.defaultDoc ? `${arg.doc}; default: ${arg.defaultDoc}` : arg.doc;
  return { name: arg.name, label: `${arg.name}: ${typeName(arg.type)}${fallback}`, doc, type: arg.type, tensor: false };
}

export function typeName(t: ArgType): string {
  switch (t.kind) {
    case "word":
      return t.words.join(" | ");
    default:
      return t.kind;
  }
}

export function formatArgValue(v: ArgValue): string {
  if (Array.isArray(v)) return `[${v.join(", ")}]`;
  if (typeof v === "object") {
    const args = Object.entries(v.args).map(([k, x]) => `${k}: ${formatArgValue(x)}`);
    return args.length > 0 ? `${v.name}(${args.join(", ")})` : v.name;
  }
  return String(v);
}
