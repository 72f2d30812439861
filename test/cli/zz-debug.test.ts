import { it } from "vitest";
import { run } from "../../compiler/cli/main.js";
it("dbg", async () => {
  const out: string[] = [];
  const io = { stdout: { write: (s: string) => out.push("OUT " + s) }, stderr: { write: (s: string) => out.push("ERR " + s) } };
  await run(["train", "examples/xor.nn", "--data", "examples/xor.csv", "--epochs", "3", "-o", "/tmp/x.safetensors"], io);
  await run(["eval", "examples/xor.nn", "--data", "examples/xor.csv", "--weights", "/tmp/x.safetensors"], io);
  await run(["predict", "examples/xor.nn", "--data", "examples/xor.csv", "--weights", "/tmp/x.safetensors"], io);
  console.log(out.join(""));
});
