// Times the checker in process on a generated 5,000-line .nn file: median of several runs
// after warm-up. Run after `npm run build`: `node bench/check.js [lines]`. Goal: < 300 ms.
import { checkText } from "../dist/compiler/check/index.js";
import { parse } from "../dist/grammar/index.js";

/** A file of `lines` lines: blocks and models in the style of the examples, every line checked. */
export function generateFile(lines) {
  const out = [
    "// generated for bench/check.js",
    "const WIDTH = 32",
    "block FeedForward(hidden: int) {",
    "  input  x: [T, D]",
    "  output y = x |> dense(hidden) |> gelu |> dense(D)",
    "}",
  ];
  let m = 0;
  while (out.length < lines) {
    out.push(
      `model Generated${m} {`,
      "  const T = 8",
      "  const V = 10",
      "  input  tokens: int(V)[T]",
      "  target reversed: int(V)[T]",
      "  x = embedding(tokens, WIDTH) + positional(T, WIDTH)",
    );
    for (let i = 0; i < 30; i++) {
      out.push(
        i % 3 === 0
          ? "  x = x + (x |> layer_norm |> self_attention(heads: 4, causal: true))"
          : i % 3 === 1
            ? "  x = x + (x |> layer_norm |> FeedForward(4 * WIDTH))"
            : "  x = x |> dense(WIDTH, init: he_normal) |> relu |> dropout(0.1)",
      );
    }
    out.push(
      "  output logits = x |> layer_norm |> dense(V)",
      "  loss softmax_cross_entropy(logits, reversed)",
      "  optimizer adamw(lr: 0.003, weight_decay: 0.01, schedule: cosine(warmup: 100))",
      "  train { batch: 32, epochs: 20, seed: 1 }",
      "}",
    );
    m++;
  }
  return out.join("\n") + "\n";
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

const lines = Number(process.argv[2] ?? 5000);
const text = generateFile(lines);
const first = checkText(text);
const errors = first.diagnostics.filter((d) => d.severity === "error");
if (errors.length > 0) {
  console.error(`generated file has ${errors.length} errors, first: ${errors[0].message}`);
  process.exit(1);
}
function timeRuns(f) {
  for (let i = 0; i < 3; i++) f();
  const times = [];
  for (let i = 0; i < 9; i++) {
    const t0 = performance.now();
    f();
    times.push(performance.now() - t0);
  }
  return times;
}

const total = timeRuns(() => checkText(text));
const parsing = timeRuns(() => parse(text));
const lineCount = text.split("\n").length - 1;
const nodes = first.models.reduce((a, g) => a + g.nodes.length, 0);
console.log(`checkText on ${lineCount} lines (${first.models.length} models, ${nodes} graph nodes), median of ${total.length} runs after warm-up:`);
console.log(`  parse + check: ${median(total).toFixed(1)} ms (min ${Math.min(...total).toFixed(1)})`);
console.log(`  parse alone:   ${median(parsing).toFixed(1)} ms (min ${Math.min(...parsing).toFixed(1)})`);
console.log(`  check alone:   ~${(median(total) - median(parsing)).toFixed(1)} ms`);
