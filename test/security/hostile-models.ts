// Hostile `.nn` models for the injection tests: a few templates whose names are drawn from
// names that mean something to JavaScript or TypeScript, written out token by token with
// random whitespace (lone CRs, CRLFs, form feeds) and comments full of what ends a comment,
// a string, a template or a <script> element between the tokens. Seeded, so that a failure
// replays from its seed.

import { tokenize } from "../../grammar/tokenize.js";
import type { ModelGraph } from "../../compiler/graph.js";
import { random } from "../support/fixtures.js";

/** Set by every payload below, should one ever run. */
export const CANARY = "__neuronInjected";

/** What could end or escape a comment, a string or a template, or an enclosing <script>. */
export const PAYLOADS: readonly string[] = [
  "\n",
  "\r",
  "\r\n",
  "\u2028",
  "\u2029",
  "*/",
  "/*",
  "//",
  "`",
  "${",
  "}",
  "</script>",
  "</SCRIPT >",
  "<!--",
  "-->",
  "'",
  '"',
  "\\",
  "\\u2028",
  "\u202e",
  "\u2066",
  "\u0000",
  "\u001b[2J",
  "\ufeff",
  "\t\f\v",
  `globalThis.${CANARY} = 1;`,
  `eval("globalThis.${CANARY} = 2");//`,
  `\u2028globalThis.${CANARY} = 3;//`,
  `\r})(globalThis.${CANARY} = 4);//`,
  `\`; globalThis.${CANARY} = 5; \``,
  `"; globalThis.${CANARY} = 6; "`,
];

/** Line terminators of `.nn` (the scanner's `[\r\n]`), which end a `//` comment there. */
const NN_LINE_BREAK = /[\r\n]/;

/** The name slots of a template, each filled with a distinct name. */
interface Template {
  slots: readonly string[];
  text: string;
}

export const TEMPLATES: readonly Template[] = [
  {
    slots: ["M", "I", "T", "H", "O"],
    text: `model M {
  input I: [2]
  target T: [1]
  H = I |> dense(4, init: xavier_uniform) |> tanh
  output O = H |> dense(1) |> sigmoid
  loss binary_cross_entropy(O, T)
  optimizer sgd(lr: 0.5, momentum: 0.9)
  train { batch: 4, epochs: 2, seed: 3 }
}`,
  },
  {
    slots: ["C", "B", "P", "X", "Y", "M", "I", "T", "H", "O"],
    text: `const C = 3
block B(P: int) {
  input X: [D]
  output Y = X |> dense(P) |> relu |> dense(D)
}
model M {
  input I: [6]
  target T: int(C)
  H = I |> B(2 * C) |> layer_norm
  output O = H |> dense(C)
  loss softmax_cross_entropy(O, T)
  optimizer adam(lr: 0.01)
  train { batch: 2 }
}`,
  },
  {
    slots: ["M", "I", "T", "U", "H", "O", "Q"],
    text: `model M {
  input I: [3]
  target T: [2]
  target U: [2]
  H = I |> dense(5) |> relu |> dropout(0.1)
  output O = H |> dense(2)
  output Q = -H |> dense(2) |> sigmoid
  loss mse(O, T)
  loss binary_cross_entropy(Q, U)
  optimizer adamw(lr: 0.001, weight_decay: 0.01)
}`,
  },
];

/**
 * Names that mean something to the emitted module or its reader: Object.prototype's
 * members, TypeScript's type names, globals the kernels use, the module's own top-level
 * names, field and parameter names of the model class, reserved words.
 */
export const HOSTILE_NAMES: readonly string[] = [
  "constructor", "toString", "valueOf", "hasOwnProperty", "__proto__", "prototype", "isPrototypeOf",
  "number", "string", "boolean", "bigint", "symbol", "object", "any", "unknown", "never",
  "Math", "Object", "Float32Array", "Error", "globalThis", "eval", "arguments", "undefined", "NaN", "Infinity",
  "F", "info", "create", "Rng", "floatArg", "intArg", "k0_dense", "k1_dense_backward", "loss0_mse",
  "n", "y", "gy", "x0", "s0", "rng", "input0", "target0", "act3", "param0", "grad0", "maxBatch", "lastBatch",
  "class", "await", "yield", "let", "static", "enum", "interface", "this_", "super_", "_",
];

/** The same slots filled with plain names. */
function plainNames(slots: readonly string[]): Map<string, string> {
  return new Map(slots.map((slot, i) => [slot, `${slot === "M" ? "Model" : "t"}${slot}${i}`]));
}

function fill(template: Template, names: ReadonlyMap<string, string>): string {
  return template.text.replace(/\b[A-Z]\b/g, (slot) => names.get(slot) ?? slot);
}

export interface HostileModel {
  seed: number;
  /** The model with every name chosen, written plainly: what the emitted module must match. */
  clean: string;
  /** The same tokens with hostile whitespace and comments between them. */
  hostile: string;
  /** The same model with plain names, for comparing what names legitimately change. */
  plain: string;
}

/** How many sets of names each template is filled with: the clean models the hostile ones are compared with. */
export const NAME_SETS = 8;

/** Name set `index` of a template: distinct names drawn from HOSTILE_NAMES, and now and then a plain one. */
function hostileNames(template: Template, index: number): Map<string, string> {
  const rnd = random(1000 * TEMPLATES.indexOf(template) + index);
  const left = [...HOSTILE_NAMES];
  const names = new Map<string, string>();
  for (const slot of template.slots) {
    names.set(slot, rnd() < 0.2 ? `${slot.toLowerCase()}${slot}` : left.splice(Math.floor(rnd() * left.length), 1)[0]!);
  }
  return names;
}

/** Model `seed`: its template and name set follow from the seed, its whitespace and comments are random. */
export function hostileModel(seed: number): HostileModel {
  const rnd = random(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)]!;
  const template = TEMPLATES[seed % TEMPLATES.length]!;
  const clean = fill(template, hostileNames(template, Math.floor(seed / TEMPLATES.length) % NAME_SETS));

  const payload = (count: number, allowBreaks: boolean): string => {
    let text = "";
    while (text.length === 0 || count-- > 0) {
      const piece = pick(PAYLOADS);
      if (allowBreaks || !NN_LINE_BREAK.test(piece)) text += piece;
    }
    return text;
  };
  const whitespace = (): string => {
    let text = pick([" ", "\n", "\r", "\r\n", "\t", "\f", "\v", "  "]);
    if (rnd() < 0.3) text += pick(["\r", "\r\n", "\n "]);
    return text;
  };
  // Between any two tokens: whitespace, and often a block or line comment with payloads in it.
  let hostile = "";
  for (const token of tokenize(clean)) {
    hostile += whitespace();
    const r = rnd();
    if (r < 0.25) {
      // A block comment may hold anything but its own end.
      hostile += `/*${payload(1 + Math.floor(rnd() * 4), true).replaceAll("*/", "* /")}*/${whitespace()}`;
    } else if (r < 0.4) {
      hostile += `//${payload(1 + Math.floor(rnd() * 4), false)}${pick(["\n", "\r", "\r\n"])}`;
    }
    hostile += token.text;
  }
  return { seed, clean, hostile, plain: fill(template, plainNames(template.slots)) };
}

/**
 * The graph with every name and every piece of source text replaced by hostile text, as a
 * program building its own ModelGraph might give it (the `.nn` grammar allows no such names):
 * the same string always becomes the same hostile string, so references stay consistent.
 */
export function withHostileNames(graph: ModelGraph, seed: number): ModelGraph {
  const rnd = random(seed);
  const hostile = new Map<string, string>();
  const rename = (name: string): string => {
    let renamed = hostile.get(name);
    if (renamed === undefined) {
      const a = PAYLOADS[Math.floor(rnd() * PAYLOADS.length)]!;
      const b = PAYLOADS[Math.floor(rnd() * PAYLOADS.length)]!;
      // The original at the end: the back end finds a layer's parameters by their suffix (`.weight`).
      renamed = `${a}${b}#${hostile.size}:${name}`;
      hostile.set(name, renamed);
    }
    return renamed;
  };
  const copy = structuredClone(graph);
  copy.name = rename(copy.name);
  for (const t of [...copy.inputs, ...copy.targets, ...copy.outputs]) t.name = rename(t.name);
  for (const loss of copy.losses) {
    loss.target = rename(loss.target);
    loss.source.text = rename(loss.source.text);
  }
  for (const node of copy.nodes) {
    if (node.name !== undefined) node.name = rename(node.name);
    node.source.text = rename(node.source.text);
    for (const p of node.params) p.name = rename(p.name);
  }
  for (const p of copy.params) p.name = rename(p.name);
  return copy;
}
