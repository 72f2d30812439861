// Every op of the registry either exports (to PyTorch and to ONNX) or is refused with one line
// naming the file, the .nn line and the op; and no text from a .nn file or its path can become
// Python code: keywords and the module's own names as .nn names, a path with quotes and line
// breaks, a layer call spread over lines.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { checkText } from "../../compiler/check/index.js";
import type { ModelGraph } from "../../compiler/graph.js";
import { layerEntries } from "../../compiler/library/index.js";
import { exportOnnx, onnxOps } from "../../compiler/export/onnx.js";
import { exportPytorch, pytorchOps } from "../../compiler/export/pytorch.js";
import { ExportError } from "../../compiler/export/export-error.js";
import { pyComment, pyIdentifier, pyString } from "../../compiler/export/python-text.js";
import { entryModel } from "../compiler/backend/entry-models.js";
import { python, tempDir } from "./python.js";

function model(text: string): ModelGraph {
  const result = checkText(text);
  expect(result.diagnostics.filter((d) => d.severity === "error").map((d) => d.message)).toEqual([]);
  return result.models[0]!;
}

function outcome(run: () => unknown, op: string): "exports" | string {
  try {
    run();
    return "exports";
  } catch (error) {
    if (!(error instanceof ExportError)) throw error;
    expect(error.message).toMatch(new RegExp(`^test\\.nn:\\d+: cannot export '${op}' to (PyTorch|ONNX)`));
    expect(error.message).not.toContain("\n");
    return error.message;
  }
}

describe("every op exports or is refused with its line", () => {
  for (const entry of layerEntries.values()) {
    it(entry.name, () => {
      const graph = model(entryModel(entry));
      const weights = new Map(graph.params.map((p) => [p.name, new Float32Array(p.shape.reduce((a, b) => a * b, 1))]));
      const torch = outcome(() => exportPytorch(graph, "test.nn"), entry.name);
      const onnx = outcome(() => exportOnnx(graph, weights, "test.nn", "test"), entry.name);
      expect(torch === "exports").toBe(pytorchOps.has(entry.name));
      expect(onnx === "exports").toBe(onnxOps.has(entry.name));
    });
  }

  it("an op without an exporter is refused at its line, by name", () => {
    const graph = model(entryModel(layerEntries.get("tanh")!));
    const node = graph.nodes.find((n) => n.op === "tanh")!;
    const renamed: ModelGraph = { ...graph, nodes: graph.nodes.map((n) => (n === node ? { ...n, op: "no_such_op" } : n)) };
    expect(() => exportPytorch(renamed, "test.nn")).toThrow(new RegExp(`^test\\.nn:${node.source.line}: cannot export 'no_such_op' to PyTorch`));
    const weights = new Map(graph.params.map((p) => [p.name, new Float32Array(p.shape.reduce((a, b) => a * b, 1))]));
    expect(() => exportOnnx(renamed, weights, "test.nn", "t")).toThrow(new RegExp(`^test\\.nn:${node.source.line}: cannot export 'no_such_op' to ONNX`));
  });
});

describe("text from the .nn file reaches Python only through python-text.ts", () => {
  it("quotes, escapes and mangles", () => {
    expect(pyString('a"b\\c\n\u2028é')).toBe('"a\\"b\\\\c\\x0a\\u2028\\xe9"');
    expect(pyComment("x\ny\r\u2028z")).toBe("# x y  z");
    const taken = new Set<string>();
    expect(pyIdentifier("lambda", taken)).toBe("v_lambda");
    expect(pyIdentifier("x", taken)).toBe("x");
    expect(pyIdentifier("x", taken)).toBe("v_x");
    expect(pyIdentifier("__class__", taken)).toBe("v___class__");
  });

  it("a model of Python keywords, from a path with quotes and line breaks, imports and runs", () => {
    const text = `model None {
  input  lambda: [3]
  input  self: [3]
  target class: [2]

  import = (lambda + self) |> dense(
    2)
  output training = import |> tanh
  output n = import |> sigmoid

  loss mse(training, class)
  optimizer adam(lr: 0.01)
}
`;
    const graph = model(text);
    const file = 'evil"\nimport os; os.system("touch PWNED") #\'.nn';
    const exported = exportPytorch(graph, file);
    const dir = tempDir();
    writeFileSync(join(dir, "model.py"), exported.model);
    const out = python(
      `
import ast, json, os, torch
source = open("model.py").read()
imports = [n for n in ast.parse(source).body if isinstance(n, (ast.Import, ast.ImportFrom))]
import model
m = model.Model()
y = m(torch.zeros(2, 3), torch.ones(2, 3))
print(json.dumps({"class": model.Model.__name__, "outputs": sorted(y), "keys": sorted(m.state_dict()), "pwned": os.path.exists("PWNED"),
                  "imports": sorted(a.name for n in imports for a in n.names), "loss": float(model.loss(y, {"class": torch.zeros(2, 2)}) >= 0)}))
`,
      dir,
    );
    const r = JSON.parse(out) as Record<string, unknown>;
    expect(r).toEqual({
      class: "v_None",
      outputs: ["n", "training"],
      keys: ["import.dense_0.bias", "import.dense_0.weight"],
      pwned: false,
      imports: ["json", "math", "nn", "os", "struct", "torch", "torch.nn.functional"],
      loss: 1,
    });
  });
});
