// Random mutations of the examples, token by token, with a fixed seed: the checker must
// never fail internally (an internal error would show as NN9999), every diagnostic must
// point inside the file, and every graph it hands on must be well formed.
import { describe, expect, it } from "vitest";
import { checkText } from "../../../compiler/check/index.js";
import { layerEntries } from "../../../compiler/library/index.js";
import { tokenize } from "../../../grammar/index.js";
import { exampleSources, random } from "../../support/fixtures.js";

const sources = exampleSources();
const words = [...layerEntries.keys(), "x", "T", "D", "FeedForward", "same", "he_normal", "normal", "cosine", "digit", "logits", "adam", "mse"];
const numbers = ["0", "-1", "1e999", "2.5", "100000", "3", "1e-3", "7 / 2", "4 * D"];
const pieces = ["|>", "+", "*", "/", "-", "(", ")", "[", "]", ",", ":", "=", "{", "}", "\u0000", "\uFEFF", "😀", "input", "output", "block B {", "loss"];

function mutate(text: string, next: () => number): string {
  const tokens = tokenize(text);
  if (tokens.length === 0) return text;
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!;
  let out = text;
  const edits = 1 + Math.floor(next() * 3);
  for (let e = 0; e < edits; e++) {
    const current = tokenize(out);
    if (current.length === 0) break;
    const t = pick(current);
    const [start, end] = [t.range.start.offset, t.range.end.offset];
    const choice = next();
    let replacement: string;
    if (choice < 0.2) replacement = "";
    else if (choice < 0.4) replacement = /^[0-9]/.test(t.text) ? pick(numbers) : pick(words);
    else if (choice < 0.55) replacement = `${t.text} ${t.text}`;
    else if (choice < 0.7) replacement = pick(pieces);
    else if (choice < 0.8) replacement = pick(numbers);
    else if (choice < 0.9) {
      const u = pick(current);
      replacement = u.text;
    } else {
      out = out.slice(0, Math.floor(next() * out.length));
      continue;
    }
    out = out.slice(0, start) + replacement + out.slice(end);
  }
  return out;
}

describe("checker fuzz", () => {
  it("survives 1,000 mutations of the examples", () => {
    const next = random(20240607);
    for (let i = 0; i < 1000; i++) {
      const text = mutate(pick(sources), next);
      const result = checkText(text, `mutation-${i}.nn`);
      const internal = result.diagnostics.filter((d) => d.code === "NN9999");
      if (internal.length > 0) throw new Error(`mutation ${i}: ${internal[0]!.message}\n---\n${text}`);
      for (const d of result.diagnostics) {
        expect(d.range.start.line).toBeGreaterThanOrEqual(1);
        expect(d.range.start.offset).toBeLessThanOrEqual(d.range.end.offset);
        expect(d.range.end.offset).toBeLessThanOrEqual(text.length);
        expect(d.message.length).toBeGreaterThan(0);
      }
      for (const g of result.models) {
        const names = new Set(g.params.map((p) => p.name));
        expect(names.size).toBe(g.params.length);
        g.nodes.forEach((n, id) => {
          expect(n.id).toBe(id);
          for (const input of n.inputs) expect(input).toBeLessThan(id);
          for (const d of n.type.shape) expect(Number.isInteger(d) && d >= 1).toBe(true);
        });
        for (const p of g.params) for (const d of p.shape) expect(Number.isInteger(d) && d >= 1).toBe(true);
      }
    }

    function pick(xs: readonly string[]): string {
      return xs[Math.floor(next() * xs.length)]!;
    }
  });

  it("survives deep nesting and huge inputs", () => {
    const deep = `model M {\n  input x: [2]\n  output y = ${"(".repeat(3000)}x${")".repeat(3000)}\n}\n`;
    expect(checkText(deep).diagnostics.filter((d) => d.code === "NN9999")).toEqual([]);
    // The parser caps a chain at 1,000 operators; the checker must handle the longest it accepts.
    const long = `model M {\n  input x: [2]\n  output y = x${" + x".repeat(999)}\n}\n`;
    const r = checkText(long);
    expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    expect(r.models[0]!.nodes.length).toBe(1000);
  });
});
