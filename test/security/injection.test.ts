// Source text is inert in emitted code: whatever comments, whitespace and names a `.nn` file
// holds, the emitted module's tokens outside comments are those of the same model written
// plainly, and the module holds nothing that would end an enclosing <script>. Over 1,000
// seeded hostile models per run (hostile-models.ts), in both dialects; a few of them are
// then type-checked, loaded, trained a step and run, and no payload runs.

import ts from "typescript";
import { afterEach, describe, expect, it } from "vitest";
import { checkText } from "../../compiler/check/index.js";
import { emitModule } from "../../compiler/compile.js";
import type { ModelGraph } from "../../compiler/graph.js";
import { loadModelFromGraph } from "../../compiler/load.js";
import type { CompiledModel, TensorInfo } from "../../runtime/model.js";
import { diagnostics, strictest } from "../compiler/backend/tsc-program.js";
import { CANARY, hostileModel, NAME_SETS, TEMPLATES, withHostileNames } from "./hostile-models.js";

const MODELS = 1000;
const SEED = 0x5eed;

/** What must appear nowhere in a module: ends of <script> or of a line inside a comment, invisible controls. */
const FORBIDDEN = /<\/script|<!--|[\r\u2028\u2029\u0000\u001b\u202e\u2066\ufeff]/i;

/** The module's tokens, comments and whitespace skipped, template literals read as such. */
function codeTokens(text: string): string[] {
  const scanner = ts.createScanner(ts.ScriptTarget.Latest, true, ts.LanguageVariant.Standard, text);
  const tokens: string[] = [];
  // Per open brace: whether it is a template's `${`, whose `}` continues the template.
  const braces: boolean[] = [];
  for (let kind = scanner.scan(); kind !== ts.SyntaxKind.EndOfFileToken; kind = scanner.scan()) {
    if (kind === ts.SyntaxKind.OpenBraceToken) braces.push(false);
    else if (kind === ts.SyntaxKind.TemplateHead) braces.push(true);
    else if (kind === ts.SyntaxKind.CloseBraceToken && braces.pop() === true) {
      kind = scanner.reScanTemplateToken(false);
      if (kind === ts.SyntaxKind.TemplateMiddle) braces.push(true);
    }
    tokens.push(`${kind} ${scanner.getTokenText()}`);
  }
  return tokens;
}

/** Identifiers, strings, and words (`static`, `any`) that a property name or a name in a type may be. */
function isName(kind: number): boolean {
  const word = kind >= ts.SyntaxKind.FirstKeyword && kind <= ts.SyntaxKind.LastKeyword;
  return word || kind === ts.SyntaxKind.Identifier || kind === ts.SyntaxKind.StringLiteral;
}

/**
 * The first place where two token streams differ other than by a name: an identifier or a
 * string literal may change (a class name, a name in a message, a property written quoted),
 * nothing else may, and the count must match. Null when they agree.
 */
function structuralDifference(a: readonly string[], b: readonly string[]): string | null {
  if (a.length !== b.length) return `${a.length} tokens, expected ${b.length}`;
  for (let i = 0; i < a.length; i++) {
    if (a[i] === b[i]) continue;
    const kindA = Number(a[i]!.split(" ", 1)[0]);
    const kindB = Number(b[i]!.split(" ", 1)[0]);
    if (!isName(kindA) || !isName(kindB)) return `token ${i}: ${JSON.stringify(a[i])}, expected ${JSON.stringify(b[i])}`;
  }
  return null;
}

function exactDifference(a: readonly string[], b: readonly string[]): string | null {
  const i = a.findIndex((t, k) => t !== b[k]);
  if (i === -1 && a.length === b.length) return null;
  return `token ${i === -1 ? Math.min(a.length, b.length) : i}: ${JSON.stringify(a[i])}, expected ${JSON.stringify(b[i])}`;
}

function graphOf(text: string, what: string): ModelGraph {
  const result = checkText(text, "hostile.nn");
  const errors = result.diagnostics.filter((d) => d.severity === "error");
  if (errors.length > 0 || result.models.length !== 1) throw new Error(`${what}: ${errors.map((d) => d.message).join("; ")}`);
  return result.models[0]!;
}

const DIALECTS = ["javascript", "typescript"] as const;

/** The module in each dialect, or only in JavaScript (what runs; the TypeScript differs only by its types). */
function emitted(graph: ModelGraph, both = true): string[] {
  return (both ? DIALECTS : DIALECTS.slice(0, 1)).map((language) => emitModule(graph, { language }));
}

/** A batch of the model's shapes, all zeros (ints are ids, 0 is always one). */
function zeroBatch(model: CompiledModel, size: number) {
  const column = (t: TensorInfo) => {
    const n = size * t.shape.reduce((a, b) => a * b, 1);
    return t.kind === "int" ? new Int32Array(n) : new Float32Array(n);
  };
  const record = (list: TensorInfo[]) => Object.fromEntries(list.map((t) => [t.name, column(t)]));
  return { size, inputs: record(model.info.inputs), targets: record(model.info.targets) };
}

afterEach(() => {
  delete (globalThis as Record<string, unknown>)[CANARY];
});

/** The clean models' tokens per dialect, by their text: one per template and set of names. */
const references = new Map<string, string[][]>();
let checked = 0;

/** The failures of model `k`: its tokens against its clean model's, in one or both dialects. */
function checkModel(k: number): string[] {
  const seed = SEED + k;
  const model = hostileModel(seed);
  const failures: string[] = [];
  const fail = (what: string) => failures.push(`seed ${seed}: ${what}`);
  let reference = references.get(model.clean);
  if (reference === undefined) {
    const clean = emitted(graphOf(model.clean, `seed ${seed} (clean)`)).map(codeTokens);
    const plain = emitted(graphOf(model.plain, `seed ${seed} (plain names)`)).map(codeTokens);
    clean.forEach((tokens, d) => {
      const difference = structuralDifference(tokens, plain[d]!);
      if (difference !== null) fail(`${DIALECTS[d]}: names changed more than names: ${difference}`);
    });
    reference = clean;
    references.set(model.clean, reference);
  }
  const graph = graphOf(model.hostile, `seed ${seed} (hostile)`);
  // Every model in JavaScript (what runs), a tenth also in TypeScript (which adds only types).
  emitted(graph, k % 10 === 0).forEach((source, d) => {
    if (FORBIDDEN.test(source)) fail(`${DIALECTS[d]}: holds ${JSON.stringify(FORBIDDEN.exec(source)![0])}`);
    const difference = exactDifference(codeTokens(source), reference[d]!);
    if (difference !== null) fail(`${DIALECTS[d]}: comments or whitespace changed the code: ${difference}`);
  });
  // A tenth also with hostile text for every name, past what the grammar allows.
  if (k % 10 === 5) {
    emitted(withHostileNames(graph, seed), k % 20 === 5).forEach((source, d) => {
      if (FORBIDDEN.test(source)) fail(`${DIALECTS[d]} (hostile names): holds ${JSON.stringify(FORBIDDEN.exec(source)![0])}`);
      const difference = structuralDifference(codeTokens(source), reference[d]!);
      if (difference !== null) fail(`${DIALECTS[d]} (hostile names): ${difference}`);
    });
  }
  checked++;
  return failures;
}

/** The models in slices, each a test of its own that stays well within the time limit on a loaded machine. */
const SLICES = 5;

describe("source text in emitted modules", () => {
  for (let slice = 0; slice < SLICES; slice++) {
    const from = (slice * MODELS) / SLICES;
    const to = ((slice + 1) * MODELS) / SLICES;
    it(`is inert: hostile models ${from} to ${to - 1} emit the tokens of the same models written plainly`, () => {
      const failures: string[] = [];
      for (let k = from; k < to; k++) failures.push(...checkModel(k));
      expect(failures.slice(0, 5)).toEqual([]);
    });
  }

  it(`checked ${MODELS} models, of every template with every set of names`, () => {
    expect(checked).toBeGreaterThanOrEqual(1000);
    expect(references.size).toBe(TEMPLATES.length * NAME_SETS);
  });

  it("leaves modules that type-check under the strictest flags", () => {
    const files = new Map<string, string>();
    // One program over a model of each template, and one with hostile names (a program costs seconds).
    for (let k = 0; k < TEMPLATES.length; k++) {
      const seed = SEED + k;
      const graph = graphOf(hostileModel(seed).hostile, `seed ${seed}`);
      files.set(`/virtual/hostile${k}.ts`, emitModule(graph));
      if (k === 1) files.set(`/virtual/renamed${k}.ts`, emitModule(withHostileNames(graph, seed)));
    }
    expect(diagnostics(files, strictest)).toEqual([]);
  });

  it("leaves modules that load, train and predict without running any payload", async () => {
    for (let k = 0; k < 3; k++) {
      const seed = SEED + k;
      const graph = graphOf(hostileModel(seed).hostile, `seed ${seed}`);
      for (const g of [graph, withHostileNames(graph, seed)]) {
        const { module } = await loadModelFromGraph(g);
        const model = module.create({ maxBatch: 2 });
        const batch = zeroBatch(model, 2);
        expect(Number.isFinite(model.trainStep(batch))).toBe(true);
        const outputs = model.predict(batch.inputs, 2);
        expect(Object.keys(outputs)).toEqual(model.info.outputs.map((t) => t.name));
        expect(model.info.name).toBe(g.name);
      }
    }
    expect(CANARY in globalThis).toBe(false);
  });
});
