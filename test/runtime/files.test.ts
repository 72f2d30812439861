import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FileError, readFileBytes, removeStaleTemporaries, temporaryPath, writeFileAtomic } from "../../runtime/node/files.js";

describe("files", () => {
  const dir = mkdtempSync(join(tmpdir(), "neuron-files-"));

  it("writes atomically, replacing the old file and leaving no temporary behind", () => {
    const path = join(dir, "model.safetensors");
    writeFileSync(path, "old");
    writeFileAtomic(path, Uint8Array.of(1, 2, 3));
    expect(Array.from(readFileSync(path))).toEqual([1, 2, 3]);
    writeFileAtomic(path, "text");
    expect(readFileSync(path, "utf8")).toBe("text");
    expect(readdirSync(dir)).toEqual(["model.safetensors"]);
  });

  it("turns I/O failures into one line naming the file", () => {
    expect(() => readFileBytes(join(dir, "missing.csv"))).toThrow(new FileError(`${join(dir, "missing.csv")}: cannot read: no such file or directory`));
    expect(() => readFileBytes(dir)).toThrow(/cannot read: is a directory, expected a file/);
    expect(() => writeFileAtomic(join(dir, "no", "such", "dir.bin"), "x")).toThrow(`${join(dir, "no", "such", "dir.bin")}: cannot write: the folder ${join(dir, "no", "such")} does not exist; create it first`);
  });

  it("removes only its own temporary files of processes that are gone", () => {
    const folder = join(dir, "stale");
    mkdirSync(folder);
    const target = join(folder, "run.safetensors");
    const gone = 2 ** 22 + 12345; // above Linux's largest pid
    const ours = [temporaryPath(target, gone), join(folder, `.run.safetensors.${gone}.1700000000000.tmp`)];
    const kept = [
      temporaryPath(target, process.pid), // this process, maybe writing now
      join(folder, ".run.safetensors.backup.tmp"),
      join(folder, ".other.safetensors.nnc-4194999-1.tmp"),
      join(folder, `run.safetensors.nnc-${gone}-1.tmp`),
    ];
    for (const file of [...ours, ...kept]) writeFileSync(file, "x");
    mkdirSync(join(folder, `.run.safetensors.nnc-${gone}-2.tmp`));
    expect(removeStaleTemporaries(target).sort()).toEqual([...ours].sort());
    expect(readdirSync(folder).sort()).toEqual([...kept.map((f) => f.slice(folder.length + 1)), `.run.safetensors.nnc-${gone}-2.tmp`].sort());
  });
});
