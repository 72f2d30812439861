import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FileError, readFileBytes, writeFileAtomic } from "../../runtime/node/files.js";

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
});
