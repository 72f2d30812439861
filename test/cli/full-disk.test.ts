// A checkpoint write that fails at the end of a run (a full disk: ENOSPC, injected here by
// replacing writeFileAtomic with one that fails as the real one does) loses nothing: the
// checkpoint goes elsewhere, or the last whole one is named, with the command that continues.
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { nnc, xorProject } from "./run-nnc.js";

/** Which writes find the disk full: the n-th write (from 1) to `path`. */
const disk = vi.hoisted(() => {
  const never = (_path: string, _n: number): boolean => false;
  return { full: never, writes: 0 };
});

vi.mock("../../runtime/node/files.js", async (importOriginal) => {
  const files = await importOriginal<typeof import("../../runtime/node/files.js")>();
  return {
    ...files,
    writeFileAtomic(path: string, bytes: Uint8Array | string): void {
      if (disk.full(path, ++disk.writes)) throw new files.FileError(`${path}: cannot write: no space left on the device`);
      files.writeFileAtomic(path, bytes);
    },
    appendFileDurably(path: string, text: string): void {
      if (disk.full(path, ++disk.writes)) throw new files.FileError(`${path}: cannot write: no space left on the device`);
      files.appendFileDurably(path, text);
    },
  };
});

afterEach(() => {
  disk.full = () => false;
  disk.writes = 0;
});

describe("a full disk at the final save", () => {
  it("writes the checkpoint beside the model instead, and says how to continue", async () => {
    const p = xorProject();
    mkdirSync(p.at("out"));
    const save = join(p.at("out"), "run.safetensors");
    disk.full = (path) => path.startsWith(p.at("out"));
    const r = await nnc("train", p.model, "--data", p.data, "--epochs", "5", "-q", "--save", save);
    expect(r.code).toBe(1);
    const kept = p.at("xor.interrupted.safetensors");
    expect(r.stderr).toBe(
      `${save}: cannot write: no space left on the device; saved the checkpoint of step 5 to ${kept} instead. ` +
        `Continue with: nnc train ${p.model} --data ${p.data} --epochs 5 --resume ${kept} --save ${save}\n`,
    );
    const resumed = await nnc("train", p.model, "--data", p.data, "--epochs", "5", "--resume", kept);
    expect(resumed.stdout).toContain("already holds the whole run: 5 steps, 5 epochs");
  });

  it("names the last whole checkpoint, intact, when nothing can be written anywhere", async () => {
    const p = xorProject();
    const save = p.at("run.safetensors");
    // The periodic checkpoints of steps 2 and 4 go through; then the disk is full everywhere.
    disk.full = (_path, n) => n > 2;
    const r = await nnc("train", p.model, "--data", p.data, "--epochs", "5", "--checkpoint-every", "2", "-q", "--save", save);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      new RegExp(`^${save}: cannot write: no space left on the device; the checkpoint of step 4 in ${save} is intact \\(also tried \\S+ and \\S+\\)\\. Continue with: nnc train ${p.model} --data ${p.data} --epochs 5 --resume ${save} --save ${save}\\n$`),
    );
    disk.full = () => false;
    const resumed = await nnc("train", p.model, "--data", p.data, "--epochs", "5", "--json", "--resume", save, "--save", p.at("done.safetensors"));
    expect(resumed.code).toBe(0);
    expect(resumed.stdout.trim().split("\n").map((l) => (JSON.parse(l) as { step: number }).step)).toEqual([5]);
    expect(readFileSync(p.at("done.safetensors")).length).toBeGreaterThan(0);
  });

  it("a metrics file that cannot be written costs a warning and exit 1, not the run", async () => {
    const p = xorProject();
    const save = p.at("run.safetensors");
    disk.full = (path) => path === p.at("m.jsonl") && existsSync(save);
    const r = await nnc("train", p.model, "--data", p.data, "--epochs", "5", "--save", save, "--metrics", p.at("m.jsonl"));
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`${p.at("m.jsonl")}: cannot write: no space left on the device; training goes on, and the file holds the first 0 epochs\n`);
    expect(r.stdout).toContain(`saved ${save} (5 steps)\n`);
  });
});
