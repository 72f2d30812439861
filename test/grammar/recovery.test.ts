import { describe, expect, it } from "vitest";
import { parse, type Binding, type ModelDecl } from "../../grammar/index.js";
import { errors, sexpr } from "./helpers.js";

describe("error recovery", () => {
  it("reports three separate syntax errors at their lines and keeps the model after them", () => {
    const text = [
      "model A {", //          1
      "  input x [3]", //      2: missing ':'
      "  h = x |> dense(4", // 3: missing ')'
      "  y = h +", //          4: missing operand
      "}", //                  5
      "model B {", //          6
      "  input z: [2]", //     7
      "  output w = z |> relu",
      "}",
    ].join("\n");
    const { program, diagnostics } = parse(text);
    // A missing piece is reported where it belongs: at the end of its line.
    expect(diagnostics.map((d) => d.range.start.line)).toEqual([2, 3, 4]);
    expect(diagnostics.every((d) => d.severity === "error" && d.code === "NN0004")).toBe(true);
    expect(program.items.map((i) => i.name.name)).toEqual(["A", "B"]);
    const b = program.items[1] as ModelDecl;
    expect(b.body.map((s) => s.kind)).toEqual(["Input", "Output"]);
  });

  it("names what is missing, in words", () => {
    expect(errors("model A {\n  h = x |> dense(4 relu\n}")).toEqual([
      "2:20 expected ')' to close the call of 'dense' but found 'relu'",
    ]);
    expect(errors("model A {\n  input x [3]\n}")).toEqual(["2:11 expected ':' after 'x' but found '['"]);
    expect(errors("model A {\n  h = \n}")).toEqual(["2:6 expected an expression after '=' but found '}'"]);
    expect(errors("model A {\n  input loss: [3]\n}")).toEqual([
      "2:9 expected a name after 'input' but found 'loss', which is a reserved word",
    ]);
    expect(errors("model A {\n  h = (x + 1\n}")).toEqual(["2:13 expected ')' to close the '(' at 2:7 but found '}'"]);
    expect(errors("model A {\n  input x: [3, 4\n}")).toEqual(["2:17 expected ']' to close the list at 2:12 but found '}'"]);
    expect(errors("model A {\n  input x: 3\n}")).toEqual([
      "2:12 expected a type such as '[784]', 'int(10)' or 'int(V)[T]' after ':' but found '3'",
    ]);
    expect(errors("model A {\n  h x\n}")).toEqual([
      "2:5 expected '=' after 'h' but found 'x': a statement is 'name = expression'",
    ]);
    expect(errors("block F(a: int, : int) { }")).toEqual([
      "1:17 expected ')' to close the parameters of block 'F' but found ':'",
    ]);
    expect(errors("model A { output = 3 }")).toEqual([
      "1:18 expected a name after 'output' but found '=': an output is written 'output name = expression'",
    ]);
    expect(errors("relu\nmodel A { }")).toEqual([
      "1:1 expected 'model', 'block' or 'const' at the top level but found 'relu'",
    ]);
  });

  it("explains that |> binds loosest when an operator follows a pipeline", () => {
    expect(errors("model A {\n  h = x |> f + y\n}")).toEqual([
      "2:14 unexpected '+': '|>' binds loosest, so write '(a |> f) + b'",
    ]);
  });

  it("does not let a model missing its '}' swallow the next one", () => {
    const { program, diagnostics } = parse("model A {\n  h = 1\nmodel B {\n  g = 2\n}");
    expect(diagnostics.map((d) => `${d.range.start.line}:${d.message}`)).toEqual([
      "2:expected '}' to close model 'A' but found 'model'",
    ]);
    expect(program.items.map((i) => i.kind === "Model" && i.body.length)).toEqual([1, 1]);
  });

  it("reports a missing '}' at the end of the file just after the last token", () => {
    const { diagnostics } = parse("model A {\n  h = 1\n\n\n");
    expect(diagnostics).toHaveLength(1);
    expect(diagnostics[0].message).toBe("expected '}' to close model 'A' but reached the end of the file");
    expect(diagnostics[0].range.start).toMatchObject({ line: 2, column: 8 });
  });

  it("keeps a partial tree for a half-typed file", () => {
    const { program, diagnostics } = parse("model A {\n  input x: [3]\n  h = x |> dense(");
    expect(diagnostics).toHaveLength(1);
    const model = program.items[0] as ModelDecl;
    expect(model.body.map((s) => s.kind)).toEqual(["Input", "Binding"]);
    const binding = model.body[1] as Binding;
    expect(binding.name.name).toBe("h");
    expect(sexpr(binding.value)).toBe("(|> x (dense))");
  });

  it("puts placeholders where a piece is missing", () => {
    const { program } = parse("model A {\n  h = x |> dense(4, init: ");
    const binding = (program.items[0] as ModelDecl).body[0] as Binding;
    expect(sexpr(binding.value)).toBe("(|> x (dense 4 init:<error>))");
    const { program: unnamed } = parse("model {\n}");
    expect(unnamed.items[0].name).toMatchObject({ name: "", missing: true });
  });

  it("reports rules the grammar leaves to the tree builder", () => {
    expect(errors("model A {\n  h = f(units: 8, relu)\n}")).toEqual([
      "2:19 positional argument after the named argument 'units': pass it by name or move it first",
    ]);
    expect(errors("model A {\n  train { batch: 4 epochs: 2 }\n}")).toEqual([
      "2:20 expected ',' between train settings on one line",
    ]);
    expect(errors("const X = 1e")).toEqual(["1:11 malformed number '1e'"]);
    expect(errors("const X = 2x")).toEqual(["1:11 malformed number '2x'"]);
    expect(errors("model A {\n  input t: int(n: 3)\n}")).toEqual(["2:16 'int' takes no named arguments: write 'int(N)'"]);
  });

  it("reports odd characters with their position, and goes on", () => {
    expect(errors("model A {\n  h = x # y\n}")[0]).toBe("2:9 unexpected character '#'");
    expect(errors("model A {\n  h = x | relu\n}")[0]).toBe("2:9 unexpected character '|': the pipe operator is '|>'");
    expect(errors("const a\u0000 = 1")).toEqual(["1:8 unexpected invisible character U+0000"]);
    expect(errors("const é = 1")[0]).toBe("1:7 unexpected character 'é' (U+00E9): names use ASCII letters, digits and '_'");
    expect(errors("const a = 1\n\uFEFF")).toEqual(["2:1 unexpected byte order mark (U+FEFF) inside the file"]);
    expect(errors("model A { }\n/* never closed")).toEqual(["2:1 unterminated comment: '/*' needs a closing '*/'"]);
  });

  it("reports brackets nested too deep instead of overflowing the stack", () => {
    const deep = "(".repeat(5000) + "1" + ")".repeat(5000);
    const { program, diagnostics } = parse(`model A {\n  h = ${deep}\n  g = 2\n}\nmodel B { }`);
    expect(diagnostics.map((d) => d.code)).toEqual(["NN0005"]);
    expect(diagnostics[0].message).toContain("nested more than 64 deep");
    // The model's '{' is the first level, so the 64th '(' is the one too many.
    expect(diagnostics[0].range.start).toMatchObject({ line: 2, column: 6 + 64 });
    expect(program.items.map((i) => i.name.name)).toEqual(["A", "B"]);
    expect((program.items[0] as ModelDecl).body.map((s) => s.kind)).toEqual(["Binding", "Binding"]);
  });

  it("reports unclosed brackets nested too deep, too", () => {
    const { diagnostics } = parse(`const X = ${"[".repeat(5000)}`);
    expect(diagnostics[0].code).toBe("NN0005");
  });

  it("reports chains of operators too long for the passes after the parser", () => {
    const { diagnostics } = parse(`const X = 1${" + 1".repeat(2000)}\nconst Y = ${"- ".repeat(2000)}1`);
    expect(diagnostics.map((d) => `${d.range.start.line}:${d.code}`)).toEqual(["1:NN0005", "2:NN0005"]);
  });

  it("never throws, whatever the input", () => {
    for (const text of ["", "}", "{{{{", "model", "model A", "block B(", "const", "const = ", ")))", "train { : }", "\u0000\uFEFF\uD800"]) {
      expect(() => parse(text)).not.toThrow();
      expect(parse(text).program.kind).toBe("Program");
    }
  });
});
