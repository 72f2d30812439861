// The VS Code extension's TextMate grammar: valid, in step with the library registry, and
// colouring the examples as intended. The grammar's regexes are plain enough to run as
// JavaScript RegExps, so a small tokenizer here applies them as TextMate would: at each
// point the earliest match wins, the first rule on a tie; begin/end rules span lines.
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { initEntries, layerEntries, lossEntries, optimizerEntries } from "../../compiler/library/index.js";

const vscodeDir = fileURLToPath(new URL("../../lsp/vscode/", import.meta.url));
const examplesDir = fileURLToPath(new URL("../../examples/", import.meta.url));
const readJson = (path: string): unknown => JSON.parse(readFileSync(path, "utf8"));

interface Rule {
  name?: string;
  match?: string;
  begin?: string;
  end?: string;
  include?: string;
  captures?: Record<string, { name: string }>;
  patterns?: Rule[];
}

interface Grammar {
  scopeName: string;
  patterns: Rule[];
  repository: Record<string, Rule>;
}

const grammar = readJson(vscodeDir + "syntaxes/nn.tmLanguage.json") as Grammar;

/** The grammar's rules in the order TextMate tries them, includes expanded. */
function flatten(rules: readonly Rule[]): Rule[] {
  return rules.flatMap((rule) => {
    if (rule.include) {
      const target = grammar.repository[rule.include.slice(1)];
      if (!target) throw new Error(`include ${rule.include} names no repository entry`);
      return flatten([target]);
    }
    if (rule.patterns && !rule.begin) return flatten(rule.patterns);
    return [rule];
  });
}

const rules = flatten(grammar.patterns);

interface Token {
  text: string;
  scope: string;
}

/** Scopes the lines of a file; text no rule matches is left out. */
function tokenizeFile(text: string): Token[] {
  const tokens: Token[] = [];
  let open: Rule | undefined;
  for (const line of text.split("\n")) {
    let pos = 0;
    while (pos < line.length) {
      if (open) {
        const end = new RegExp(open.end!, "g");
        end.lastIndex = pos;
        const m = end.exec(line);
        const stop = m ? m.index + m[0].length : line.length;
        tokens.push({ text: line.slice(pos, stop), scope: open.name! });
        pos = stop;
        if (m) open = undefined;
        continue;
      }
      let best: { rule: Rule; match: RegExpExecArray } | undefined;
      for (const rule of rules) {
        const re = new RegExp(rule.match ?? rule.begin!, "gd");
        re.lastIndex = pos;
        const m = re.exec(line);
        if (m && (!best || m.index < best.match.index)) best = { rule, match: m };
      }
      if (!best) break;
      const { rule, match } = best;
      if (rule.begin) open = rule;
      if (rule.name) tokens.push({ text: match[0], scope: rule.name });
      for (const [group, capture] of Object.entries(rule.captures ?? {})) {
        const span = match.indices![Number(group)];
        if (span) tokens.push({ text: line.slice(span[0], span[1]), scope: capture.name });
      }
      pos = match.index + Math.max(1, match[0].length);
    }
  }
  return tokens;
}

const examples = readdirSync(examplesDir).filter((f) => f.endsWith(".nn")).map((f) => readFileSync(examplesDir + f, "utf8"));
const scopesOf = (tokens: Token[], text: string): string[] => [...new Set(tokens.filter((t) => t.text === text).map((t) => t.scope))];

describe("the TextMate grammar", () => {
  it("is valid: its scope, its includes and every regex", () => {
    expect(grammar.scopeName).toBe("source.nn");
    const all = flatten(grammar.patterns);
    expect(all.length).toBeGreaterThan(10);
    for (const rule of all) {
      for (const source of [rule.match, rule.begin, rule.end]) if (source !== undefined) expect(() => new RegExp(source)).not.toThrow();
      expect(rule.name ?? rule.captures, JSON.stringify(rule)).toBeDefined();
    }
  });

  it("is the grammar the extension contributes for the nn language", () => {
    const manifest = readJson(vscodeDir + "package.json") as { contributes: { grammars: Array<{ language: string; scopeName: string; path: string }> } };
    expect(manifest.contributes.grammars).toEqual([{ language: "nn", scopeName: "source.nn", path: "./syntaxes/nn.tmLanguage.json" }]);
  });

  it("lists the library's layers, losses, optimizers and init schemes as the registry has them (UPDATE_GRAMMAR=1 rewrites them)", () => {
    const file = vscodeDir + "syntaxes/nn.tmLanguage.json";
    let text = readFileSync(file, "utf8");
    const lists: [string, Iterable<string>][] = [
      ["support.function.layer.nn", layerEntries.keys()],
      ["support.function.loss.nn", lossEntries.keys()],
      ["support.function.optimizer.nn", optimizerEntries.keys()],
      ["support.constant.init.nn", initEntries.keys()],
    ];
    for (const [scope, names] of lists) {
      const rule = grammar.repository["library"]!.patterns!.find((r) => r.name === scope);
      expect(rule, scope).toBeDefined();
      const fresh = `\\b(?:${[...names].join("|")})\\b`;
      if (process.env.UPDATE_GRAMMAR) text = text.replace(JSON.stringify(rule!.match), JSON.stringify(fresh));
      else expect(rule!.match, `${scope} is out of date: run UPDATE_GRAMMAR=1 npx vitest run test/lsp/textmate.test.ts`).toBe(fresh);
    }
    if (process.env.UPDATE_GRAMMAR) writeFileSync(file, text);
  });

  it("knows every layer, loss, optimizer and init scheme of the library", () => {
    const scopeOfWord = (word: string): string[] => scopesOf(tokenizeFile(word), word);
    for (const name of layerEntries.keys()) expect(scopeOfWord(name), name).toEqual(["support.function.layer.nn"]);
    for (const name of lossEntries.keys()) expect(scopeOfWord(name), name).toEqual(["support.function.loss.nn"]);
    for (const name of optimizerEntries.keys()) expect(scopeOfWord(name), name).toEqual(["support.function.optimizer.nn"]);
    for (const name of initEntries.keys()) expect(scopeOfWord(name), name).toEqual(["support.constant.init.nn"]);
  });

  it("colours the examples: keywords, names, numbers, comments, layers", () => {
    const tokens = examples.flatMap(tokenizeFile);
    const expectations: Record<string, string> = {
      model: "storage.type.nn",
      block: "storage.type.nn",
      input: "keyword.other.declaration.nn",
      loss: "keyword.other.statement.nn",
      train: "keyword.other.statement.nn",
      MnistMlp: "entity.name.type.nn",
      "784": "constant.numeric.nn",
      "0.001": "constant.numeric.nn",
      "// Handwritten digits with a two-layer perceptron.": "comment.line.double-slash.nn",
      dense: "support.function.layer.nn",
      relu: "support.function.layer.nn",
      he_normal: "support.constant.init.nn",
      adam: "support.function.optimizer.nn",
      softmax_cross_entropy: "support.function.loss.nn",
      FeedForward: "entity.name.function.nn",
      lr: "variable.parameter.nn",
      "|>": "keyword.operator.pipe.nn",
    };
    for (const [text, scope] of Object.entries(expectations)) expect(scopesOf(tokens, text), text).toContain(scope);
    expect(scopesOf(tokens, "image")).not.toContain("constant.numeric.nn");
  });

  it("keeps a block comment's scope across lines", () => {
    const tokens = tokenizeFile("/* first\n   model second */ model M {}");
    expect(scopesOf(tokens, " first")).toEqual(["comment.block.nn"]);
    expect(scopesOf(tokens, "   model second */")).toEqual(["comment.block.nn"]);
    expect(tokens.filter((t) => t.scope === "storage.type.nn")).toHaveLength(1);
    expect(scopesOf(tokens, "M")).toEqual(["entity.name.type.nn"]);
  });
});

describe("the language configuration", () => {
  it("declares the comments and brackets, with valid regexes", () => {
    const config = readJson(vscodeDir + "language-configuration.json") as {
      comments: unknown;
      brackets: unknown;
      indentationRules: Record<string, string>;
      wordPattern: string;
    };
    expect(config.comments).toEqual({ lineComment: "//", blockComment: ["/*", "*/"] });
    expect(config.brackets).toEqual([["{", "}"], ["[", "]"], ["(", ")"]]);
    const increase = new RegExp(config.indentationRules.increaseIndentPattern!);
    expect(increase.test("model M {")).toBe(true);
    expect(increase.test("  h = x |> dense(4)")).toBe(false);
    expect(new RegExp(config.indentationRules.decreaseIndentPattern!).test("  }")).toBe(true);
    expect(new RegExp(`^(?:${config.wordPattern})$`).test("he_normal")).toBe(true);
  });
});
