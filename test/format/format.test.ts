// The canonical layout of `.nn`, case by case: each test is one rule of the formatter.
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { formatText } from "../../compiler/format/index.js";

const examplesDir = fileURLToPath(new URL("../../examples/", import.meta.url));
const examples = readdirSync(examplesDir).filter((f) => f.endsWith(".nn"));

/** The formatted text of `input`, which must be formattable. */
function format(input: string, width?: number): string {
  const result = formatText(input, width === undefined ? {} : { width });
  if (!result.ok) throw new Error(result.diagnostics.map((d) => d.message).join("\n"));
  return result.text;
}

/** `input` formats to `expected`, and `expected` to itself. */
function expectFormat(input: string, expected: string, width?: number): void {
  expect(format(input, width)).toBe(expected);
  expect(format(expected, width)).toBe(expected);
}

const model = (...lines: string[]): string => `model M {\n${lines.map((l) => (l ? `  ${l}` : "")).join("\n")}\n}\n`;

describe("the examples", () => {
  // The design's examples (shared/design/examples/) are the same files.
  it.each(examples)("%s is already in canonical layout", (file) => {
    const text = readFileSync(examplesDir + file, "utf8");
    expect(format(text)).toBe(text);
  });

  it("mnist_cnn.nn keeps its pipe broken into its two convolution blocks, one per line", () => {
    const text = readFileSync(examplesDir + "mnist_cnn.nn", "utf8");
    expect(text).toContain(
      ["  features = image", "    |> conv2d(16, kernel: 3, padding: same) |> batch_norm |> relu |> max_pool2d(2)", "    |> conv2d(32"].join("\n"),
    );
    expect(format(text)).toBe(text);
  });
});

describe("spacing", () => {
  it("puts spaces around = |> and operators, after commas and colons, none inside brackets", () => {
    expectFormat(
      "const D=4\nmodel M{input x:[ D,D ]\nh=( x|>dense( 4*D ,init:he_normal) )+x\noutput y=-h}",
      "const D = 4\nmodel M {\n  input  x: [D, D]\n  h = (x |> dense(4 * D, init: he_normal)) + x\n  output y = -h\n}\n",
    );
  });

  it("indents two spaces per level and keeps one statement per line", () => {
    expectFormat("block B(n: int,w) { input x: [4] output y = x |> dense(n) }", "block B(n: int, w) {\n  input  x: [4]\n  output y = x |> dense(n)\n}\n");
  });

  it("drops the empty parameter list of a block and trailing commas", () => {
    expectFormat("block B() {\n  input x: [2,]\n  output y = f(x,)\n}\n", "block B {\n  input  x: [2]\n  output y = f(x)\n}\n");
  });

  it("keeps numbers as written", () => {
    expectFormat(model("optimizer adam(lr: 1e-3, eps: .5)"), model("optimizer adam(lr: 1e-3, eps: .5)"));
  });

  it("prints an empty model on one line", () => {
    expectFormat("model M {\n\n}", "model M {}\n");
  });
});

describe("blank lines", () => {
  it("keeps at most one blank line between statements and none at the edges of a body", () => {
    expectFormat("model M {\n\n\n  input x: [2]\n\n\n\n  h = x\n\n}\n\n\n\nconst N = 1\n", model("input  x: [2]", "", "h = x") + "\nconst N = 1\n");
  });

  it("ends the file with exactly one line break, and leaves an empty file empty", () => {
    expectFormat("const N = 1", "const N = 1\n");
    expect(format("")).toBe("");
    expect(format("\n\n")).toBe("");
  });
});

describe("input and target declarations", () => {
  it("align their names and types within a run", () => {
    expectFormat(
      model("input tokens: int(10)[8]", "target reversed: int(10)[8]"),
      model("input  tokens:   int(10)[8]", "target reversed: int(10)[8]"),
    );
  });

  it("start a new alignment run after a blank line", () => {
    expectFormat(model("input a: [1]", "", "input longer: [2]"), model("input  a: [1]", "", "input  longer: [2]"));
  });
});

describe("pipes", () => {
  it("stay on one line when they fit", () => {
    expectFormat(model("h = x |> dense(4) |> relu"), model("h = x |> dense(4) |> relu"));
  });

  it("break one stage per line when they do not fit in the width", () => {
    const stages = ["dense(128, init: he_normal)", "relu", "dropout(0.2)", "dense(64, init: he_normal)", "relu", "dense(10)"];
    expectFormat(model(`output logits = image |> ${stages.join(" |> ")}`), model("output logits = image", ...stages.map((s) => `  |> ${s}`)));
  });

  it("follow the width option", () => {
    expectFormat(model("h = x |> dense(4) |> relu"), model("h = x", "  |> dense(4)", "  |> relu"), 20);
  });

  it("stay broken when their author started the first |> on a new line, keeping the stages grouped as written", () => {
    expectFormat(model("h = x", "  |> dense(4) |> relu", "|> dense(2)"), model("h = x", "  |> dense(4) |> relu", "  |> dense(2)"));
    expectFormat(model("h = x", "  |> dense(4)", "  |> relu"), model("h = x", "  |> dense(4)", "  |> relu"));
  });

  it("split a group of stages that does not fit, filling each line", () => {
    expectFormat(model("h = x", "  |> dense(4) |> relu |> dense(8) |> tanh"), model("h = x", "  |> dense(4) |> relu", "  |> dense(8) |> tanh"), 30);
  });

  it("join when the first |> follows the head on its line", () => {
    expectFormat(model("h = x |> dense(4)", "  |> relu"), model("h = x |> dense(4) |> relu"));
  });

  it("leave pipes inside parentheses on one line", () => {
    expectFormat(model("x = x + (x |> layer_norm |> self_attention(heads: 4))"), model("x = x + (x |> layer_norm |> self_attention(heads: 4))"));
  });
});

describe("train settings", () => {
  it("sit on one line, separated by commas", () => {
    expectFormat(model("train {batch: 4 , epochs: 2}"), model("train { batch: 4, epochs: 2 }"));
  });

  it("go one per line, without commas, when their author broke the line after '{'", () => {
    expectFormat(model("train {", "  batch: 4,", "  epochs: 2 }"), model("train {", "  batch: 4", "  epochs: 2", "}"));
  });
});

describe("comments", () => {
  it("keep a trailing line comment at the end of its statement's line", () => {
    expectFormat(model("input x: [2]   // two features", "h = x"), model("input  x: [2] // two features", "h = x"));
  });

  it("keep own-line comments on their own line, indented with the code they precede", () => {
    expectFormat("model M {\n// the input\n    input x: [2]\n      // the end\n}\n", model("// the input", "input  x: [2]", "// the end"));
  });

  it("keep a comment between pipe stages, which keeps the pipe broken", () => {
    expectFormat(model("h = x |> dense(4) // wide", "  |> relu"), model("h = x", "  |> dense(4) // wide", "  |> relu"));
    expectFormat(model("h = x |> dense(4)", "  // then", "  |> relu"), model("h = x", "  |> dense(4)", "  // then", "  |> relu"));
  });

  it("keep block comments inside an expression next to the code they follow", () => {
    expectFormat(model("h = x |> dense(4 /* units */, init: zeros)"), model("h = x |> dense(4 /* units */, init: zeros)"));
    expectFormat(model("h = /* the input */ x"), model("h = /* the input */ x"));
  });

  it("keep comments before, between and after top-level items", () => {
    const text = "// file\n\n/* a const */\nconst N = 1 // one\n\nmodel M {} // empty\n// end\n";
    expectFormat(text, text);
  });

  it("move a line comment that would end up inside another line comment onto its own line", () => {
    const formatted = format(model("optimizer adam( // first", "  lr: 0.1 // second", ")"));
    expect(formatted).toBe(model("// first", "optimizer adam(lr: 0.1) // second"));
    expect(format(formatted)).toBe(formatted);
  });
});

describe("line breaks and refusals", () => {
  it("keeps Windows line breaks and a byte order mark", () => {
    expectFormat("\uFEFFmodel M {\r\ninput x: [2]\r\n}", "\uFEFFmodel M {\r\n  input  x: [2]\r\n}\r\n");
  });

  it("refuses a file with syntax errors and returns their diagnostics", () => {
    const result = formatText("model M {\n  h = x |> dense(4\n}\n");
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.diagnostics[0]!.code).toMatch(/^NN00/);
  });

  it("formats a file with type errors: only syntax matters", () => {
    expectFormat(model("h = undefined_thing |> dens(4)"), model("h = undefined_thing |> dens(4)"));
  });
});
