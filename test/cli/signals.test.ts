// `nnc train` run as a real process (the built bin/nnc.js): SIGTERM and SIGHUP stop it like
// Ctrl-C, with a checkpoint and the command that resumes it; what SIGKILL leaves behind (a
// half-written temporary file) is cleared by the next run, and only that.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { repositoryRoot, xorProject } from "./run-nnc.js";

const bin = join(repositoryRoot, "bin", "nnc.js");
const built = existsSync(join(repositoryRoot, "dist", "cli", "main.js"));

interface Ended {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

/** Starts a long run, sends `signal` once it has finished an epoch (its handlers are in place by then), and waits for the end. */
function trainUntil(signal: NodeJS.Signals, argv: string[]): Promise<Ended> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, "train", ...argv], { stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    let sent = false;
    child.stdout.on("data", (chunk: Buffer) => {
      if (!sent && /^epoch /m.test(chunk.toString())) {
        sent = true;
        child.kill(signal);
      }
    });
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code, ended) => resolve({ code, signal: ended, stderr }));
  });
}

describe.runIf(built)("nnc train under signals", () => {
  it.each([
    ["SIGTERM", 143],
    ["SIGHUP", 129],
  ] as const)("%s saves a checkpoint, prints the resume command and exits %d", async (signal, exitCode) => {
    const p = xorProject();
    const save = p.at("run.safetensors");
    const r = await trainUntil(signal, [p.model, "--data", p.data, "--epochs", "10000000", "--save", save]);
    expect(r.code).toBe(exitCode);
    expect(r.stderr).toMatch(new RegExp(`^stopped by ${signal} at step \\d+; saved ${save}\\. Continue with: nnc train ${p.model} --data ${p.data} --epochs 10000000 --resume ${save} --save ${save}\\n$`));
    const resumed = spawnSync(process.execPath, [bin, "train", p.model, "--data", p.data, "--steps", "1", "--resume", save], { encoding: "utf8" });
    // The checkpoint is whole and resumable: it is past step 1 already.
    expect(resumed.status).toBe(0);
    expect(resumed.stdout).toContain("already holds the whole run");
  });

  it("removes the temporary files of a killed run beside its outputs, and no one else's", async () => {
    const p = xorProject();
    const save = p.at("k.safetensors");
    const killed = await trainUntil("SIGKILL", [p.model, "--data", p.data, "--epochs", "10000000", "--save", save, "--checkpoint-every", "1"]);
    expect(killed.signal).toBe("SIGKILL");
    // Whatever the kill interrupted, plant one stale temporary file of each naming for sure, and a user's look-alikes.
    const stale = [".k.safetensors.nnc-999999999-1.tmp", ".k.safetensors.999999999.1.tmp"];
    const users = [".k.safetensors.backup.tmp", ".k.safetensors.nnc-1-2.tmp.keep", "k.safetensors.nnc-999999999-1.tmp"];
    for (const name of [...stale, ...users]) writeFileSync(p.at(name), "x");
    const next = spawnSync(process.execPath, [bin, "train", p.model, "--data", p.data, "--epochs", "2", "-q", "--save", save], { encoding: "utf8" });
    expect(next.status).toBe(0);
    const left = readdirSync(p.dir);
    expect(left.filter((name) => /\.tmp$/.test(name) && name.startsWith(".k.safetensors.") && !users.includes(name))).toEqual([]);
    for (const name of users) expect(left).toContain(name);
  });
});
