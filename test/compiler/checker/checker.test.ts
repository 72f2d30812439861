// The checker's rules, one case each: names and scopes, const folding, element-wise
// operators, blocks, parameter naming, warnings, placement of errors, and what hover,
// go-to-definition and rename will read.
import { describe, expect, it } from "vitest";
import type { BlockDecl, Identifier, ModelDecl } from "../../../grammar/ast.js";
import { walk } from "../../../grammar/visit.js";
import { check, errorLines, errors, graph, model, outputShape, paramTable, warnings } from "./helpers.js";

describe("names", () => {
  it("a later binding shadows an earlier one and gets its own parameter prefix", () => {
    const g = graph(model("input x: [4]", "h = x |> dense(8)", "h = h |> dense(8) |> relu |> dense(2)", "output y = h"));
    expect(paramTable(g)).toEqual([
      "h.dense_0.weight [8, 4]",
      "h.dense_0.bias [8]",
      "h_1.dense_0.weight [8, 8]",
      "h_1.dense_0.bias [8]",
      "h_1.dense_1.weight [2, 8]",
      "h_1.dense_1.bias [2]",
    ]);
  });

  it("parameter names do not depend on lines, columns or unrelated edits", () => {
    const a = graph(model("input x: [4]", "h = x |> dense(8)", "output y = h |> dense(2)"));
    const b = graph(`// a comment\n\n${model("input x: [4]", "const UNUSED = 3", "h = x", "   |> dense(8)", "output y = h |> dense(2)")}`);
    expect(b.params.map((p) => p.name)).toEqual(a.params.map((p) => p.name));
  });

  it("a library word can name a binding", () => {
    expect(outputShape(model("input x: [4]", "same = x |> dense(3)", "output y = same |> relu"))).toEqual([3]);
  });

  it("a word argument is a word even where a binding has that name", () => {
    const text = model("input image: [8, 8, 1]", "same = image", "output y = same |> conv2d(2, kernel: 3, padding: same)");
    expect(outputShape(text)).toEqual([8, 8, 2]);
  });

  it("an unknown name suggests the closest one in scope, with a fix", () => {
    const [d] = errors(model("input x: [4]", "hidden = x |> dense(8)", "output y = hiden |> relu"));
    expect(d!.message).toBe("unknown name 'hiden' (did you mean 'hidden'?)");
    expect(d!.fix).toMatchObject({ replacement: "hidden", range: d!.range });
  });

  it("a name far from every other gets no suggestion and no fix", () => {
    const [d] = errors(model("input x: [4]", "output y = zzzzzz |> relu"));
    expect(d!.message).toBe("unknown name 'zzzzzz'");
    expect(d!.fix).toBeUndefined();
  });

  it("names are scoped to their model; file consts are seen everywhere, in any order", () => {
    const text = `model A {\n  input x: [W]\n  h = x |> relu\n  output y = h\n}\nmodel B {\n  input z: [4]\n  output y = h\n}\nconst W = 3\n`;
    expect(errorLines(text)).toEqual(["8:14 unknown name 'h'"]);
  });

  it("a model const shadows a file const", () => {
    expect(outputShape(`const D = 3\n${model("const D = 5", "input x: [D]", "output y = x |> relu")}`)).toEqual([5]);
  });

  it("duplicates are reported at the second name", () => {
    expect(errorLines(model("input x: [4]", "output y = x", "output y = x |> relu"))).toEqual([
      "4:10 'y' is already declared as an output at 3:10",
    ]);
    expect(errorLines("model M {\n  input x: [1]\n  output y = x\n}\nblock M {\n  input x: [1]\n  output y = x\n}\n")).toEqual([
      "5:7 'M' is already declared as a model at 1:7",
    ]);
  });

  it("targets feed only losses", () => {
    expect(errorLines(model("input x: [1]", "target t: [1]", "output y = t", "loss mse(y, t)"))).toEqual([
      "4:14 target 't' can only be used in a loss",
    ]);
  });

  it("a block used as a value and a binding used as a layer are named for what they are", () => {
    const block = "block B {\n  input x: [2]\n  output y = x\n}\n";
    expect(errorLines(block + model("input x: [2]", "output y = B"))[0]).toContain("'B' is a block, not a value");
    expect(errorLines(model("input x: [2]", "h = x", "output y = x |> h"))).toEqual(["4:19 'h' is a binding, not a layer or block"]);
  });
});

describe("calls", () => {
  it("arguments bind positionally, then by name, and any can be passed by name", () => {
    const g = graph(model("input x: [4]", "output y = x |> dense(units: 3, bias: false) |> leaky_relu(alpha: 0.2)"));
    expect(g.nodes[1]!.args).toMatchObject({ units: 3, bias: false });
    expect(g.nodes[2]!.args).toEqual({ alpha: 0.2 });
  });

  it("a direct call takes its tensor inputs first: embedding(tokens, D), concat(a, b, axis:)", () => {
    expect(outputShape(model("input t: int(5)[3]", "output y = embedding(t, 4)"))).toEqual([3, 4]);
    expect(outputShape(model("input a: [2, 3]", "input b: [2, 5]", "output y = concat(a, b)"))).toEqual([2, 8]);
  });

  it("init schemes take their arguments, with defaults filled in", () => {
    const g = graph(model("input x: [4]", "output y = x |> dense(3, init: normal(0.02), bias_init: zeros)"));
    expect(g.params.map((p) => p.init)).toEqual([
      { scheme: "normal", args: { std: 0.02 }, fanIn: 4, fanOut: 3 },
      { scheme: "zeros", args: {}, fanIn: 4, fanOut: 3 },
    ]);
    expect(g.nodes[1]!.args.init).toEqual({ kind: "call", name: "normal", args: { std: 0.02 } });
    const bare = graph(model("input x: [4]", "output y = x |> dense(3, init: normal)"));
    expect(bare.params[0]!.init.args).toEqual({ std: 1 });
  });

  it("a surrogate is a word or a call, and lif's node carries its name and every surrogate's number", () => {
    const lifArgs = (surrogate: string) => graph(model("input x: [3, 4]", `output y = x |> lif(${surrogate})`)).nodes[1]!.args;
    const flat = (name: string, slope: number, alpha: number) => ({ surrogate: name, slope, alpha });
    expect(lifArgs("")).toMatchObject(flat("fast_sigmoid", 25, 2));
    expect(lifArgs("surrogate: fast_sigmoid")).toMatchObject(flat("fast_sigmoid", 25, 2));
    expect(lifArgs("surrogate: fast_sigmoid(slope: 4)")).toMatchObject(flat("fast_sigmoid", 4, 2));
    expect(lifArgs("surrogate: fast_sigmoid(4)")).toMatchObject(flat("fast_sigmoid", 4, 2));
    expect(lifArgs("surrogate: atan")).toMatchObject(flat("atan", 25, 2));
    expect(lifArgs("surrogate: atan(alpha: 0.5)")).toMatchObject(flat("atan", 25, 0.5));
  });

  it("a surrogate's arguments are checked where they are written", () => {
    const lif = (args: string) => errorLines(model("input x: [3, 4]", `output y = x |> lif(${args})`));
    expect(lif("surrogate: atan(alpha: -1)")).toEqual(["3:39 'alpha' of 'atan' must be greater than 0, got -1"]);
    expect(lif("surrogate: fast_sigmoid(alpha: 2)")).toEqual(["3:47 unknown argument 'alpha' for 'fast_sigmoid'; it is an argument of 'atan', not of 'fast_sigmoid'"]);
    expect(lif("surrogate: atan(2, 3)")).toEqual(["3:42 too many arguments: 'atan' takes (alpha)"]);
    expect(lif("surrogate: 2")).toEqual(["3:34 expected a surrogate such as fast_sigmoid(slope: 25) or atan(alpha: 2)"]);
    expect(lif("slope: 5")).toEqual(["3:23 unknown argument 'slope' for 'lif'; it belongs inside 'surrogate': `surrogate: fast_sigmoid(slope: ...)`"]);
  });

  it("an argument of an init scheme written beside it names the call it belongs in", () => {
    expect(errorLines(model("input x: [4]", "output y = x |> dense(3, std: 0.1)"))).toEqual([
      "3:28 unknown argument 'std' for 'dense'; it belongs inside 'init': `init: normal(std: ...)`",
    ]);
  });

  it("an init scheme that needs an argument says so", () => {
    expect(errorLines(model("input x: [4]", "output y = x |> dense(3, init: uniform)"))).toEqual(["3:34 'uniform' needs argument 'limit'"]);
  });

  it("reports a missing tensor input clearly when a layer is called without a pipe", () => {
    expect(errorLines(model("input x: [4]", "output y = relu()"))).toEqual(["3:14 'relu' needs a tensor input 'x': pipe one in, `x |> relu(...)`"]);
  });

  it("a layer with an unknown callee still resolves its arguments quietly", () => {
    const r = check(model("input x: [4]", "h = x |> relu", "output y = dence(h, 4)"));
    expect(r.diagnostics.filter((d) => d.severity === "error").map((d) => d.message)).toEqual(["unknown layer 'dence' (did you mean 'dense'?)"]);
    expect(r.diagnostics.some((d) => d.message.includes("never used"))).toBe(false);
  });
});

describe("const folding", () => {
  it("folds + - * / in shapes and arguments", () => {
    const text = `const D = 16\n${model("const H = D * 4 - 2 * D", "input x: [D / 2 + 0]", "output y = x |> dense(H + 1)")}`;
    const g = graph(text);
    expect(g.inputs[0]!.type.shape).toEqual([8]);
    expect(g.outputs[0]!.type.shape).toEqual([33]);
  });

  it("division must be exact on whole numbers, and decimals divide freely", () => {
    expect(errorLines(model("input x: [7 / 2]", "output y = x"))).toEqual(["2:13 7 / 2 does not divide exactly; write 7.0 / 2 for a fraction"]);
    const g = graph(model("input x: [2]", "output y = x |> dropout(1.0 / 4 * 2)"));
    expect(g.nodes[1]!.args).toEqual({ p: 0.5 });
  });

  it("unary minus folds, and a negative dimension is refused at it", () => {
    expect(errorLines(model("const N = 3", "input x: [-N]", "output y = x"))).toEqual([
      "3:13 a dimension must be a positive whole number, got the number -3",
    ]);
  });

  it("a non-finite literal is an error at the literal, and nothing follows from it", () => {
    expect(errorLines(model("input x: [4]", "h = x |> dense(1e999)", "output y = h |> relu"))).toEqual([
      "3:18 number '1e999' is too large: it is not a finite number",
    ]);
  });
});

describe("element-wise operators", () => {
  it("broadcast from the last axis: [T, D] + [D]", () => {
    expect(outputShape(model("input a: [8, 4]", "input b: [4]", "output y = a + b"))).toEqual([8, 4]);
    expect(outputShape(model("input a: [4]", "input b: [8, 4]", "output y = a * b"))).toEqual([8, 4]);
  });

  it("report both shapes at the start of the expression when they do not", () => {
    expect(errorLines(model("input a: [8, 4]", "input b: [8]", "output y = (a) - b"))).toEqual(["4:14 shape mismatch: [8, 4] vs [8]"]);
  });

  it("tensor * number and tensor / number scale; -tensor negates", () => {
    const g = graph(model("input a: [4]", "output y = -(2 * a / 4)"));
    expect(g.nodes.slice(1).map((n) => `${n.op} ${JSON.stringify(n.args)}`)).toEqual([
      'scale {"factor":2}',
      'scale {"factor":0.25}',
      'scale {"factor":-1}',
    ]);
  });

  it("refuse tensor + number, tensor / tensor and int tensors", () => {
    expect(errors(model("input a: [4]", "output y = a + 1"))[0]!.message).toContain("cannot add a number to a tensor");
    expect(errors(model("input a: [4]", "output y = a / a"))[0]!.message).toContain("'/' between two tensors");
    expect(errors(model("input a: int(3)[4]", "output y = a + a"))[0]!.message).toContain("needs float tensors, got int(3)[4]");
  });
});

describe("blocks", () => {
  const feedForward = "block FeedForward(hidden: int) {\n  input  x: [T, D]\n  output y = x |> dense(hidden) |> gelu |> dense(D)\n}\n";

  it("bind their shape variables by unification at each call", () => {
    const text = feedForward + model("input a: [8, 32]", "input b: [3, 5]", "h = a |> FeedForward(64)", "k = b |> FeedForward(hidden: 7)", "output y = h", "output z = k");
    const g = graph(text);
    expect(g.outputs.map((o) => o.type.shape)).toEqual([[8, 32], [3, 5]]);
    expect(paramTable(g)).toEqual([
      "h.FeedForward_0.y.dense_0.weight [64, 32]",
      "h.FeedForward_0.y.dense_0.bias [64]",
      "h.FeedForward_0.y.dense_1.weight [32, 64]",
      "h.FeedForward_0.y.dense_1.bias [32]",
      "k.FeedForward_0.y.dense_0.weight [7, 5]",
      "k.FeedForward_0.y.dense_0.bias [7]",
      "k.FeedForward_0.y.dense_1.weight [5, 7]",
      "k.FeedForward_0.y.dense_1.bias [5]",
    ]);
  });

  it("count calls of one block within a binding, and nest", () => {
    const inner = "block Inner {\n  input x: [N]\n  output y = x |> dense(N)\n}\n";
    const outer = "block Outer {\n  input x: [N]\n  h = x |> Inner |> Inner\n  output y = h\n}\n";
    const g = graph(inner + outer + model("input x: [2]", "output y = x |> Outer"));
    expect(g.params.map((p) => p.name).filter((n) => n.endsWith("weight"))).toEqual([
      "y.Outer_0.h.Inner_0.y.dense_0.weight",
      "y.Outer_0.h.Inner_1.y.dense_0.weight",
    ]);
  });

  it("report an input that does not unify at the call, with both types", () => {
    const text = feedForward + model("input a: [32]", "output y = a |> FeedForward(4)");
    expect(errorLines(text)).toEqual(["7:14 'FeedForward' expects x: [T, D] but got [32] (rank 2 vs 1)"]);
  });

  it("check a repeated shape variable against its first binding", () => {
    const square = "block Square {\n  input x: [N, N]\n  output y = x\n}\n";
    expect(outputShape(square + model("input a: [3, 3]", "output y = a |> Square"))).toEqual([3, 3]);
    expect(errorLines(square + model("input a: [3, 4]", "output y = a |> Square"))).toEqual(["7:14 'Square' expects x: [N, N] but got [3, 4] (N is 3)"]);
  });

  it("report an error found inside the block at the call, naming where in the block", () => {
    const attend = "block Attend(heads: int) {\n  input x: [T, D]\n  output y = x |> self_attention(heads: heads)\n}\n";
    expect(errorLines(attend + model("input a: [8, 30]", "output y = a |> Attend(4)"))).toEqual([
      "7:19 in block 'Attend' (at 3:19): 30 is not divisible by 4 heads",
    ]);
    expect(errors(attend + model("input a: [8, 32]", "output y = a |> Attend(4)"))).toEqual([]);
  });

  it("check argument types against the block's parameter types", () => {
    expect(errorLines(feedForward + model("input a: [2, 3]", "output y = a |> FeedForward(2.5)"))).toEqual([
      "7:31 'hidden' of 'FeedForward' must be a whole number, got 2.5",
    ]);
  });

  it("report name errors inside a block in place, even if nobody calls it", () => {
    const text = "block B {\n  input x: [4]\n  output y = x |> dense(8) |> rleu\n}\n";
    expect(errorLines(text)).toEqual(["3:31 unknown layer 'rleu' (did you mean 'relu'?)"]);
  });

  it("make a model that calls a broken block fail without a second error", () => {
    const text = "block B {\n  input x: [4]\n  output y = x |> rleu\n}\n" + model("input x: [4]", "output y = x |> B");
    const r = check(text);
    expect(r.diagnostics.filter((d) => d.severity === "error")).toHaveLength(1);
    expect(r.models).toEqual([]);
  });

  it("refuse a shape variable of a model", () => {
    expect(errorLines(model("input x: [T]", "output y = x"))).toEqual(["2:13 unknown name 'T'"]);
  });
});

describe("statements", () => {
  it("an optimizer takes a schedule and clip_norm", () => {
    const text = model(
      "input x: [2]",
      "target t: [1]",
      "output y = x |> dense(1)",
      "loss mse(y, t)",
      "optimizer rmsprop(lr: 0.1, clip_norm: 1, schedule: step(every: 10))",
      "train { batch: 4, epochs: 2, seed: 7 }",
    );
    const g = graph(text);
    expect(g.optimizer).toEqual({
      name: "rmsprop",
      args: { lr: 0.1, decay: 0.99, eps: 1e-8, momentum: 0, weight_decay: 0, clip_norm: 1 },
      schedule: { name: "step", args: { every: 10, gamma: 0.1 } },
    });
    expect(g.train).toEqual({ batch: 4, epochs: 2, seed: 7 });
  });

  it("several losses are all kept; a loss may pipe its prediction", () => {
    const g = graph(model("input x: [2]", "target t: [2]", "target u: [2]", "output y = x |> dense(2)", "loss mse(y, t)", "loss y |> mse(u)", "optimizer sgd"));
    expect(g.losses.map((l) => `${l.op}(${l.prediction}, ${l.target})`)).toEqual(["mse(1, t)", "mse(1, u)"]);
  });

  it("a layer inside a loss is named under `loss`", () => {
    const g = graph(model("input x: [2]", "target t: [1]", "output y = x", "loss mse(x |> dense(1), t)", "optimizer sgd"));
    expect(g.params.map((p) => p.name)).toEqual(["loss.dense_0.weight", "loss.dense_0.bias"]);
  });

  it("a loss mismatch is reported at the target", () => {
    expect(errorLines(model("input x: [2]", "target t: [3]", "output y = x", "loss mse(y, t)"))).toEqual([
      "5:15 loss shape mismatch: prediction [2] vs target 't' [3]",
    ]);
  });

  it("train values are checked", () => {
    expect(errorLines(model("input x: [2]", "output y = x", "train { batch: 0 }"))).toEqual(["4:18 'batch' of 'train' must be in [1, 1048576], got 0"]);
    // The same ranges as --batch and --seed: a seed beyond 2^53 is no longer the number typed.
    expect(errorLines(model("input x: [2]", "output y = x", "train { seed: 99999999999999999999 }"))).toEqual([
      "4:17 'seed' of 'train' must be in [0, 9007199254740991], got 100000000000000000000",
    ]);
    expect(errorLines(model("input x: [2]", "output y = x", "train { batch: 1, batch: 2 }"))).toEqual(["4:21 train key 'batch' is given twice"]);
  });
});

describe("warnings", () => {
  it("an unused binding, at its name", () => {
    const w = warnings(model("input x: [2]", "unused = x |> relu", "output y = x", "loss mse(y, y)"));
    expect(w.map((d) => `${d.range.start.line}:${d.range.start.column} ${d.message}`)).toContain("3:3 'unused' is never used");
  });

  it("a shadowed binding that is never read", () => {
    const w = warnings(model("input x: [2]", "h = x", "h = x |> relu", "output y = h"));
    expect(w.map((d) => d.message)).toContain("'h' is never used");
    expect(w.filter((d) => d.message.includes("never used"))[0]!.range.start.line).toBe(3);
  });

  it("a model without a loss or optimizer compiles but warns", () => {
    const r = check(model("input x: [2]", "output y = x |> relu"));
    expect(r.models).toHaveLength(1);
    expect(r.diagnostics.map((d) => `${d.severity} ${d.message}`)).toEqual([
      "warning model 'M' has no loss and no optimizer: it can be compiled for inference but not trained",
    ]);
  });
});

describe("recovery", () => {
  it("an expression with an error raises nothing further", () => {
    const text = model("input x: [4]", "h = (x |> dense(3)) + x", "k = h |> dense(2) |> relu", "output y = k * 2 + k");
    expect(errorLines(text)).toEqual(["3:7 shape mismatch: [3] vs [4]"]);
  });

  it("every independent error of a file is reported", () => {
    const text = model("input x: [4]", "a = x |> dnse(3)", "b = x |> dropout(2)", "output y = a + b + c");
    expect(errorLines(text)).toEqual([
      "3:12 unknown layer 'dnse' (did you mean 'dense'?)",
      "4:20 'p' of 'dropout' must be in [0, 1), got 2",
      "5:22 unknown name 'c'",
    ]);
  });

  it("parse errors come through, and the rest of the file is still checked", () => {
    const r = check(`model A {\n  input x: [4]\n  output y = x |> dense(\n}\n${model("input x: [2]", "output y = x |> rleu")}`);
    expect(r.diagnostics.filter((d) => d.severity === "error").length).toBeGreaterThanOrEqual(2);
    expect(r.diagnostics.some((d) => d.message.includes("unknown layer 'rleu'"))).toBe(true);
  });
});

describe("what the language server reads", () => {
  const text = "block FF(h: int) {\n  input x: [T, D]\n  output y = x |> dense(h)\n}\nmodel M {\n  input x: [4, 8]\n  a = x |> FF(h: 16)\n  output y = a |> dense(2)\n}\n";

  function identifiers(r: ReturnType<typeof check>, name: string): Identifier[] {
    const out: Identifier[] = [];
    walk(r.program, (node) => {
      if (node.kind === "Identifier" && node.name === name) out.push(node);
    });
    return out;
  }

  it("types: the shape of every expression and binding, and what a layer call owns", () => {
    const r = check(text);
    const m = r.program.items[1] as ModelDecl;
    const binding = m.body[1]!;
    if (binding.kind !== "Binding" || binding.value.kind !== "Pipe") throw new Error("unexpected tree");
    expect(r.types.get(binding.name)).toMatchObject({ kind: "tensor", type: { shape: [4, 16], kind: "float" } });
    const blockCall = r.types.get(binding.value.right);
    expect(blockCall).toMatchObject({ kind: "tensor", call: { kind: "block", name: "FF", paramCount: 8 * 16 + 16 } });
    const output = m.body[2]!;
    if (output.kind !== "Output" || output.value.kind !== "Pipe") throw new Error("unexpected tree");
    expect(r.types.get(output.value.right)).toMatchObject({
      type: { shape: [4, 2] },
      call: { kind: "layer", name: "dense", paramCount: 34, doc: expect.stringContaining("Fully connected") },
    });
  });

  it("types inside a block body come from its first call", () => {
    const r = check(text);
    const block = r.program.items[0] as BlockDecl;
    const out = block.body[1]!;
    if (out.kind !== "Output") throw new Error("unexpected tree");
    expect(r.types.get(out.name)).toMatchObject({ type: { shape: [4, 16] } });
  });

  it("symbols: each use points at its declaration, and each declaration lists its uses", () => {
    const r = check(text);
    const [aDecl, aUse] = identifiers(r, "a");
    expect(r.symbols.definitionOf.get(aUse!)!.name).toBe(aDecl);
    const decl = r.symbols.declarations.get(aDecl!)!;
    expect(decl.kind).toBe("binding");
    expect(r.symbols.referencesOf.get(decl)).toEqual([aUse]);
  });

  it("symbols: block callees, named block arguments and shape variables resolve to the block", () => {
    const r = check(text);
    const [ffDecl, ffUse] = identifiers(r, "FF");
    expect(r.symbols.definitionOf.get(ffUse!)!.name).toBe(ffDecl);
    const hs = identifiers(r, "h");
    expect(r.symbols.definitionOf.get(hs[hs.length - 1]!)!.name).toBe(hs[0]);
    const [tDecl] = identifiers(r, "T");
    expect(r.symbols.declarations.get(tDecl!)!.kind).toBe("shape");
  });

  it("symbols: library names carry their doc line", () => {
    const r = check(text);
    const [dense] = identifiers(r, "dense");
    expect(r.symbols.library.get(dense!)).toMatchObject({ group: "layer", name: "dense" });
  });
});

describe("blocks, in body order", () => {
  it("a block const may size a later input, and block parameters may too", () => {
    const block = "block B(n: int) {\n  const K = 2\n  input x: [K, n]\n  output y = x |> dense(n * K)\n}\n";
    expect(outputShape(block + model("input a: [2, 3]", "output y = a |> B(3)"))).toEqual([2, 6]);
    expect(errorLines(block + model("input a: [2, 4]", "output y = a |> B(3)"))).toEqual(["8:14 'B' expects x: [K, n] but got [2, 4] (n is 3)"]);
  });

  it("an int(V) input binds V from the tensor's vocabulary", () => {
    const block = "block Embed(dim: int) {\n  input t: int(V)[T]\n  output y = embedding(t, dim) + positional(T, dim)\n}\n";
    const g = graph(block + model("input tokens: int(7)[5]", "output y = tokens |> Embed(4)"));
    expect(g.params.map((p) => `${p.name} [${p.shape}]`)).toEqual(["y.Embed_0.y.embedding_0.weight [7,4]", "y.Embed_0.y.positional_0.weight [5,4]"]);
  });
});

describe("unused bindings and misspellings", () => {
  it("a binding misspelt at its only use is not also reported unused", () => {
    const r = check(model("input x: [4]", "hidden = x |> dense(8)", "output y = hiden |> dense(2)"));
    expect(r.diagnostics.map((d) => d.message)).not.toContain("'hidden' is never used");
  });

  it("a binding whose name starts with _ may go unused", () => {
    expect(warnings(model("input x: [4]", "_probe = x |> relu", "output y = x")).map((d) => d.message)).not.toContain("'_probe' is never used");
  });
});
