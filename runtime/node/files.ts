// File I/O for checkpoints and data, with one-line errors that name the file.

import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";

/** A file that cannot be read or written; the message is one line naming the file and the fix. */
export class FileError extends Error {
  override readonly name = "FileError";
}

const REASONS: Record<string, string> = {
  ENOENT: "no such file or directory",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  EISDIR: "is a directory, expected a file",
  ENOTDIR: "a part of the path is not a directory",
  ENOSPC: "no space left on the device",
  EROFS: "the file system is read-only",
  EMFILE: "too many open files",
};

function describe(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  return (code !== undefined && REASONS[code]) || (error as Error).message;
}

export function readFileBytes(path: string): Uint8Array {
  try {
    const buffer = readFileSync(path);
    // A plain Uint8Array over the same memory: Buffer's slice() shares memory, unlike Uint8Array's.
    return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  } catch (error) {
    throw new FileError(`${path}: cannot read: ${describe(error)}`);
  }
}

export function readTextFile(path: string): string {
  const bytes = readFileBytes(path);
  try {
    return new TextDecoder().decode(bytes);
  } catch {
    // V8 strings stop at about 512 MB (2^29 characters).
    throw new FileError(
      `${path}: cannot read: ${(bytes.length / 2 ** 20).toFixed(0)} MB is more text than one JavaScript string holds (about 512 MB); ` +
        "split the file, or generate the data from a .js/.ts data module",
    );
  }
}

/**
 * Writes through a temporary file in the same directory, flushed to disk and renamed over
 * `path`, so that a crash leaves either the old file or the new one, never half of one.
 */
export function writeFileAtomic(path: string, bytes: Uint8Array | string): void {
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  let fd: number | null = null;
  try {
    fd = openSync(temporary, "w");
    const data = typeof bytes === "string" ? new TextEncoder().encode(bytes) : bytes;
    let written = 0;
    while (written < data.length) written += writeSync(fd, data, written, data.length - written);
    fsyncSync(fd);
    closeSync(fd);
    fd = null;
    renameSync(temporary, path);
  } catch (error) {
    if (fd !== null) closeSync(fd);
    rmSync(temporary, { force: true });
    const folder = dirname(path);
    const missingFolder = (error as NodeJS.ErrnoException).code === "ENOENT" && !existsSync(folder);
    throw new FileError(`${path}: cannot write: ${missingFolder ? `the folder ${folder} does not exist; create it first` : describe(error)}`);
  }
}
