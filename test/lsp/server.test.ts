// The language server as an editor meets it: over stdio, one request per feature, on the
// example models and on half-typed text.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  SemanticTokensLegend,
  TextDocumentSyncKind,
  type CodeAction,
  type CompletionItem,
  type DocumentSymbol,
  type FoldingRange,
  type Hover,
  type InitializeResult,
  type Location,
  type Position,
  type SemanticTokens,
  type SignatureHelp,
  type TextEdit,
  type WorkspaceEdit,
} from "vscode-languageserver";
import { ensureBuilt, TestClient } from "./client.js";

const examples = fileURLToPath(new URL("../../examples/", import.meta.url));
const example = (name: string): string => readFileSync(examples + name, "utf8");

/** The position of the `occurrence`-th `needle` in `text`, moved `delta` characters on. */
function at(text: string, needle: string, delta = 0, occurrence = 1): Position {
  let offset = -1;
  for (let i = 0; i < occurrence; i++) offset = text.indexOf(needle, offset + 1);
  if (offset < 0) throw new Error(`'${needle}' not in text`);
  offset += delta;
  const before = text.slice(0, offset).split("\n");
  return { line: before.length - 1, character: before[before.length - 1]!.length };
}

const doc = (uri: string, position: Position) => ({ textDocument: { uri }, position });
const labels = (items: CompletionItem[] | null): string[] => (items ?? []).map((i) => i.label);
const hoverText = (h: Hover | null): string => (h && typeof h.contents === "object" && "value" in h.contents ? h.contents.value : "");

let client: TestClient;
let capabilities: InitializeResult;

beforeAll(async () => {
  ensureBuilt();
  ({ client, capabilities } = await TestClient.start());
});

afterAll(async () => {
  await client?.stop();
});

describe("initialize", () => {
  it("announces incremental sync and every feature", () => {
    const c = capabilities.capabilities;
    expect(c.textDocumentSync).toMatchObject({ change: TextDocumentSyncKind.Incremental });
    for (const feature of ["hoverProvider", "completionProvider", "signatureHelpProvider", "definitionProvider", "referencesProvider", "renameProvider", "documentSymbolProvider", "documentFormattingProvider", "semanticTokensProvider", "foldingRangeProvider", "codeActionProvider"])
      expect(c, feature).toHaveProperty(feature);
  });
});

describe("diagnostics", () => {
  it("publishes none for a correct model", async () => {
    expect(await client.open("file:///reverse.nn", example("reverse.nn"))).toEqual([]);
  });

  it("publishes the checker's errors, with code and range, on open", async () => {
    const text = "model M {\n  input x: [4]\n  output y = x |> dens(3)\n}\n";
    const diagnostics = await client.open("file:///typo.nn", text);
    const typo = diagnostics.find((d) => d.code === "NN1002")!;
    expect(typo.message).toContain("did you mean 'dense'");
    expect(typo.range.start).toEqual(at(text, "dens"));
    expect(typo.severity).toBe(1);
  });

  it("follows incremental edits that break a file and then fix it", async () => {
    const uri = "file:///edits.nn";
    const text = example("xor.nn");
    expect(await client.open(uri, text)).toEqual([]);
    const start = at(text, "dense(4");
    const broken = await client.change(uri, [{ range: { start, end: { ...start, character: start.character + 5 } }, text: "dnese" }]);
    expect((await client.diagnostics(uri, broken)).map((d) => d.message)).toEqual([expect.stringContaining("did you mean 'dense'")]);
    const fixed = await client.change(uri, [{ range: { start, end: { ...start, character: start.character + 5 } }, text: "dense" }]);
    expect(await client.diagnostics(uri, fixed)).toEqual([]);
  });
});

describe("hover", () => {
  const uri = "file:///mnist_mlp.nn";
  const text = example("mnist_mlp.nn");
  beforeAll(() => client.open(uri, text));

  it("shows a binding's shape", async () => {
    const hover = await client.request<Hover>("textDocument/hover", doc(uri, at(text, "hidden |>", 1)));
    expect(hoverText(hover)).toContain("(binding) hidden: [128]");
  });

  it("shows a layer call's output shape, parameter count and documentation", async () => {
    const hover = await client.request<Hover>("textDocument/hover", doc(uri, at(text, "dense(10)", 2)));
    const value = hoverText(hover);
    expect(value).toContain("output: `[10]`");
    expect(value).toContain("parameters: 1,290");
    expect(value).toContain("Fully connected layer");
  });

  it("documents a named argument", async () => {
    const hover = await client.request<Hover>("textDocument/hover", doc(uri, at(text, "lr:")));
    expect(hoverText(hover)).toContain("learning rate");
  });

  it("answers null away from any name", async () => {
    expect(await client.request<Hover | null>("textDocument/hover", doc(uri, at(text, "[784]", 1)))).toBeNull();
  });
});

describe("hover on layers over time", () => {
  const uri = "file:///time.nn";
  const text = [
    "model Time {",
    "  input  x: [7, 5]",
    "  target t: [3]",
    "  h = x |> lstm(6, return_sequences: true) |> gru(4)",
    "  s = x |> lif(beta: 0.9, surrogate: atan(alpha: 3)) |> lif(surrogate: fast_sigmoid(slope: 5), membrane: true)",
    "  output y = (h |> dense(3)) + (s |> sum_time |> dense(3))",
    "  loss mse(y, t)",
    "  optimizer sgd(lr: 0.1)",
    "}",
    "",
  ].join("\n");
  beforeAll(() => client.open(uri, text));
  const hover = async (needle: string, delta = 0, occurrence = 1): Promise<string> =>
    hoverText(await client.request<Hover>("textDocument/hover", doc(uri, at(text, needle, delta, occurrence))));

  it("shows the state shapes each layer carries from step to step", async () => {
    expect(await hover("lstm(")).toContain("state per sample, zero at the first step: h `[6]`, c `[6]`");
    expect(await hover("gru(")).toContain("state per sample, zero at the first step: h `[4]`");
    expect(await hover("lif(", 0, 1)).toContain("state per sample, zero at the first step: membrane U `[5]`");
    expect(await hover("dense(3)")).not.toContain("state");
  });

  it("documents a surrogate and its arguments", async () => {
    expect(await hover("atan(")).toContain("snnTorch's atan");
    expect(await hover("fast_sigmoid(")).toContain("fast_sigmoid(slope: float = 25)");
    expect(await hover("alpha:")).toContain("larger is sharper");
  });
});

describe("completion", () => {
  const uri = "file:///complete.nn";
  const base = "block Twice(n: int) {\n  input  x: [4]\n  output y = x |> dense(n)\n}\n\nmodel M {\n  const W = 8\n  input  image: [28, 28, 1]\n  h = image\n";
  const complete = async (tail: string): Promise<string[]> => {
    const text = `${base}${tail}\n}\n`;
    const version = await client.change(uri, [{ text }]);
    await client.diagnostics(uri, version);
    const items = await client.request<CompletionItem[]>("textDocument/completion", doc(uri, at(text, "\n}\n", 0, 2)));
    return labels(items);
  };
  beforeAll(() => client.open(uri, base + "}\n"));

  it("offers layers, activations and blocks after |>", async () => {
    const offered = await complete("  g = h |> ");
    expect(offered).toEqual(expect.arrayContaining(["dense", "conv2d", "relu", "dropout", "Twice"]));
  });

  it("offers the named arguments of the call being written", async () => {
    const offered = await complete("  g = h |> dense(");
    expect(offered).toEqual(expect.arrayContaining(["units:", "init:", "bias_init:", "bias:"]));
    expect(await complete("  g = h |> dense(4, init: zeros, ")).not.toContain("init:");
  });

  it("offers init schemes after init: and words after padding:", async () => {
    expect(await complete("  g = h |> dense(4, init: ")).toEqual(expect.arrayContaining(["he_normal", "xavier_uniform", "zeros", "normal"]));
    expect((await complete("  g = h |> conv2d(8, kernel: 3, padding: ")).sort()).toEqual(["same", "valid"]);
  });

  it("offers the surrogates after surrogate: and their arguments inside one", async () => {
    const series = "  g = h |> flatten |> repeat(4) |> lif(";
    expect((await complete(`${series}surrogate: `)).sort()).toEqual(["atan", "fast_sigmoid"]);
    expect(await complete(`${series}surrogate: fast_sigmoid(`)).toContain("slope:");
  });

  it("offers losses after loss and optimizers after optimizer", async () => {
    expect(await complete("  loss ")).toEqual(expect.arrayContaining(["mse", "softmax_cross_entropy"]));
    expect(await complete("  optimizer ")).toEqual(expect.arrayContaining(["adam", "sgd", "adamw", "rmsprop"]));
  });

  it("offers names in scope, consts and statement keywords at the start of a line", async () => {
    const offered = await complete("  ");
    expect(offered).toEqual(expect.arrayContaining(["output", "loss", "train", "h", "image", "W"]));
  });

  it("offers the train keys not yet given", async () => {
    const offered = await complete("  train { batch: 4, ");
    expect(offered).toEqual(["epochs:", "seed:"]);
  });

  it("offers nothing inside a comment", async () => {
    expect(await complete("  // dense(")).toEqual([]);
  });
});

describe("signature help", () => {
  it("shows a layer's parameters with the one being written active, by position or by name", async () => {
    const uri = "file:///signature.nn";
    const text = "model M {\n  input x: [4]\n  h = x |> dense(8, init: he_normal)\n}\n";
    await client.open(uri, text);
    const byPosition = await client.request<SignatureHelp>("textDocument/signatureHelp", doc(uri, at(text, "8,")));
    expect(byPosition.signatures[0]!.label).toMatch(/^dense\(units: int, init: init/);
    expect(byPosition.activeParameter).toBe(0);
    const byName = await client.request<SignatureHelp>("textDocument/signatureHelp", doc(uri, at(text, "he_normal")));
    expect(byName.signatures[0]!.parameters![byName.activeParameter!]!.label).toMatch(/^init:/);
  });
});

describe("definition, references and rename", () => {
  const uri = "file:///mnist_cnn.nn";
  const text = example("mnist_cnn.nn");
  beforeAll(() => client.open(uri, text));

  it("goes from a use to the declaration", async () => {
    const location = await client.request<Location>("textDocument/definition", doc(uri, at(text, "features |>")));
    expect(location.range.start).toEqual(at(text, "features ="));
  });

  it("finds every reference of an input, with its declaration on request", async () => {
    const params = (includeDeclaration: boolean) => ({ ...doc(uri, at(text, "digit:")), context: { includeDeclaration } });
    expect(await client.request<Location[]>("textDocument/references", params(true))).toHaveLength(2);
    const uses = await client.request<Location[]>("textDocument/references", params(false));
    expect(uses.map((l) => l.range.start)).toEqual([at(text, "digit)")]);
  });

  it("renames a binding everywhere it is used", async () => {
    const edit = await client.request<WorkspaceEdit>("textDocument/rename", { ...doc(uri, at(text, "features =")), newName: "maps" });
    expect(edit.changes![uri]!.map((e) => e.range.start)).toEqual([at(text, "features ="), at(text, "features |>")]);
  });

  it("refuses a new name that is not a name, a keyword, or already declared", async () => {
    const rename = (newName: string) => client.request("textDocument/rename", { ...doc(uri, at(text, "features =")), newName });
    await expect(rename("2maps")).rejects.toThrow(/not a name/);
    await expect(rename("loss")).rejects.toThrow(/keyword/);
    await expect(rename("image")).rejects.toThrow(/already declared/);
  });

  it("refuses to rename a library name", async () => {
    await expect(client.request("textDocument/prepareRename", doc(uri, at(text, "conv2d")))).rejects.toThrow(/declared in this file/);
  });
});

describe("document symbols, folding and formatting", () => {
  const uri = "file:///reverse-outline.nn";
  const text = example("reverse.nn");
  beforeAll(() => client.open(uri, text));

  it("lists models and blocks with their inputs, bindings and outputs", async () => {
    const symbols = await client.request<DocumentSymbol[]>("textDocument/documentSymbol", { textDocument: { uri } });
    expect(symbols.map((s) => s.name)).toEqual(["FeedForward", "Reverse"]);
    expect(symbols[1]!.children!.map((s) => s.name)).toEqual(["T", "V", "D", "tokens", "reversed", "x", "x", "x", "logits"]);
    expect(symbols[1]!.children!.find((s) => s.name === "logits")!.detail).toBe("output [8, 10]");
  });

  it("folds model and block bodies and multi-line pipes", async () => {
    const mlp = example("mnist_mlp.nn");
    await client.open("file:///fold.nn", mlp);
    const ranges = await client.request<FoldingRange[]>("textDocument/foldingRange", { textDocument: { uri: "file:///fold.nn" } });
    const spans = ranges.map((r) => [r.startLine, r.endLine]);
    expect(spans).toContainEqual([at(mlp, "model").line, at(mlp, "\n}").line]);
    expect(spans).toContainEqual([at(mlp, "hidden =").line, at(mlp, "dropout").line]);
  });

  it("formats the document with the same formatter as nnc fmt", async () => {
    const messy = "model M{input x:[2]\noutput y=x|>dense(1)}";
    await client.open("file:///messy.nn", messy);
    const edits = await client.request<TextEdit[]>("textDocument/formatting", { textDocument: { uri: "file:///messy.nn" }, options: { tabSize: 2, insertSpaces: true } });
    expect(edits).toHaveLength(1);
    expect(edits[0]!.newText).toBe("model M {\n  input  x: [2]\n  output y = x |> dense(1)\n}\n");
  });
});

describe("semantic tokens", () => {
  it("classifies keywords, layers, variables, numbers, comments and types", async () => {
    const uri = "file:///tokens.nn";
    const text = "// digits\nmodel M {\n  input x: [4]\n  output y = x |> dense(2, init: he_normal)\n}\n";
    await client.open(uri, text);
    const tokens = await client.request<SemanticTokens>("textDocument/semanticTokens/full", { textDocument: { uri } });
    const legend = capabilities.capabilities.semanticTokensProvider!.legend as SemanticTokensLegend;
    const lines = text.split("\n");
    const decoded: Record<string, string> = {};
    let line = 0;
    let character = 0;
    for (let i = 0; i < tokens.data.length; i += 5) {
      const [dl, dc, length, type] = tokens.data.slice(i, i + 4) as [number, number, number, number];
      line += dl;
      character = dl === 0 ? character + dc : dc;
      decoded[lines[line]!.slice(character, character + length)] = legend.tokenTypes[type]!;
    }
    expect(decoded).toMatchObject({
      "// digits": "comment",
      model: "keyword",
      M: "type",
      x: "variable",
      "4": "number",
      dense: "function",
      init: "property",
      he_normal: "enumMember",
    });
  });
});

describe("code actions", () => {
  it("offers the 'did you mean' fix of a diagnostic as a quick fix", async () => {
    const uri = "file:///fix.nn";
    const text = "model M {\n  input x: [4]\n  output y = x |> dense(3) |> sigmod\n}\n";
    const diagnostics = await client.open(uri, text);
    const range = { start: at(text, "sigmod"), end: at(text, "sigmod", 6) };
    const actions = await client.request<CodeAction[]>("textDocument/codeAction", { textDocument: { uri }, range, context: { diagnostics } });
    expect(actions.map((a) => a.title)).toEqual(["Change to 'sigmoid'"]);
    expect(actions[0]!.edit!.changes![uri]).toEqual([{ range, newText: "sigmoid" }]);
  });
});
