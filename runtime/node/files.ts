// File I/O for checkpoints and data, with one-line errors that name the file.

import { closeSync, existsSync, fsyncSync, lstatSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeSync } from "node:fs";
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
 * The temporary file `writeFileAtomic` writes before renaming it over `path`: hidden, beside
 * it, marked as ours and by our process id, so that a later run can tell it from a user's file
 * and from a live run's.
 */
export function temporaryPath(path: string, pid: number = process.pid): string {
  return join(dirname(path), `.${basename(path)}.nnc-${pid}-${Date.now()}.tmp`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: alive, but another user's.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Removes the temporary files that runs killed mid-write (SIGKILL, a power cut) left beside
 * `path`: only regular files named as `temporaryPath` names them (or as releases before it did,
 * `.NAME.PID.MS.tmp`) whose process is gone. Returns the paths removed.
 */
export function removeStaleTemporaries(path: string): string[] {
  const folder = dirname(path);
  const name = basename(path).replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const ours = new RegExp(`^\\.${name}\\.(?:nnc-(\\d+)-\\d+|(\\d+)\\.\\d+)\\.tmp$`);
  let entries: string[];
  try {
    entries = readdirSync(folder);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const entry of entries) {
    const match = ours.exec(entry);
    if (match === null) continue;
    const pid = Number(match[1] ?? match[2]);
    const file = join(folder, entry);
    try {
      if (pid === process.pid || isAlive(pid) || !lstatSync(file).isFile()) continue;
      rmSync(file);
      removed.push(file);
    } catch {
      // Gone already, or not ours to remove: leave it.
    }
  }
  return removed;
}

/**
 * Writes through a temporary file in the same directory, flushed to disk and renamed over
 * `path`, so that a crash leaves either the old file or the new one, never half of one.
 */
export function writeFileAtomic(path: string, bytes: Uint8Array | string): void {
  const temporary = temporaryPath(path);
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

/** Appends `text` in one write and flushes it to disk: for logs that grow line by line. */
export function appendFileDurably(path: string, text: string): void {
  let fd: number | null = null;
  try {
    fd = openSync(path, "a");
    const data = new TextEncoder().encode(text);
    let written = 0;
    while (written < data.length) written += writeSync(fd, data, written, data.length - written);
    fsyncSync(fd);
  } catch (error) {
    throw new FileError(`${path}: cannot write: ${describe(error)}`);
  } finally {
    if (fd !== null) closeSync(fd);
  }
}
