import { it } from "vitest";
import { run } from "../../compiler/cli/main.js";
it("dbg", async () => {
  const out: string[] = [];
  const io = { stdout: { write: (s: string) => out.push(s) }, stderr: { write: (s: string) => out.push("ERR " + s) } };
  await run(["train", "examples/mnist_mlp.nn", "--data", "mnist", "--epochs", "2", "-o", "/tmp/mlp.safetensors"], io);
  await run(["eval", "examples/mnist_mlp.nn", "--data", "mnist", "--weights", "/tmp/mlp.safetensors"], io);
  await run(["train", "examples/reverse.nn", "--data", "examples/reverse.data.ts", "--epochs", "2", "-o", "/tmp/rev.safetensors"], io);
  console.log(out.join(""));
}, 600000);
