// The files a command writes, checked before it does any work: an output must not be one of
// the command's inputs or another of its outputs (compared as files on disk, through symlinks
// and hard links, not as strings), and must be a writable file name, so that a mistake costs a
// one-line error at once rather than an input destroyed or a trained run thrown away.

import { accessSync, constants, realpathSync, statSync, type Stats } from "node:fs";
import { basename, dirname, join, resolve, sep } from "node:path";
import { FileError, removeStaleTemporaries } from "../runtime/node/files.js";
import { UsageError } from "./args.js";

/** A path given on the command line, with what it is for: `--data`, `the model`, `-o`. */
export interface RolePath {
  role: string;
  path: string;
}

/** The same file, whatever path names it: device and inode where it exists, else its resolved path. */
function identity(path: string): string | null {
  let stats: Stats;
  try {
    stats = statSync(path);
  } catch {
    // Not there yet: two outputs still collide when their folders resolve to the same place.
    try {
      return `path:${join(realpathSync(dirname(resolve(path))), basename(path))}`;
    } catch {
      return `path:${resolve(path)}`;
    }
  }
  return `file:${stats.dev}:${stats.ino}`;
}

function existingIdentity(path: string): string | null {
  try {
    const stats = statSync(path);
    return stats.isFile() ? `file:${stats.dev}:${stats.ino}` : null;
  } catch {
    return null;
  }
}

function describe(p: RolePath): string {
  return `${p.role} ${p.path}`;
}

/**
 * Refuses (a UsageError: exit 2, one line) an output that is an input of the same command or
 * another of its outputs. `allowed` lists pairs of roles that may share a file on purpose:
 * `--resume CKPT --save CKPT` continues a run in place, written atomically.
 */
export function refuseOverlaps(inputs: readonly RolePath[], outputs: readonly RolePath[], allowed: readonly (readonly [string, string])[] = []): void {
  const may = (a: string, b: string) => allowed.some(([x, y]) => (x === a && y === b) || (x === b && y === a));
  const inputIds = inputs.map((p) => ({ p, id: existingIdentity(p.path) }));
  const outputIds = outputs.map((p) => ({ p, id: identity(p.path) }));
  for (const [i, out] of outputIds.entries()) {
    for (const input of inputIds) {
      if (input.id !== null && input.id === out.id && !may(input.p.role, out.p.role)) {
        throw new UsageError(`${describe(out.p)} is the same file as ${describe(input.p)}: writing it would destroy the input; choose another path for ${out.p.role}`);
      }
    }
    for (const other of outputIds.slice(0, i)) {
      if (other.id === out.id && !may(other.p.role, out.p.role)) {
        throw new UsageError(`${describe(out.p)} is the same file as ${describe(other.p)}: one would overwrite the other; give them different paths`);
      }
    }
  }
}

/**
 * Checks that `path` can be written as a file: not a folder, in a folder that exists and
 * that this process may write in. Also removes what an earlier run killed mid-write left
 * beside it (its own temporary files only). Throws a FileError naming the path and the fix,
 * `exampleName` being the file name it suggests when `path` names a folder.
 */
export function requireWritableFile(path: string, exampleName = "out"): void {
  if (path.endsWith("/") || path.endsWith(sep)) {
    throw new FileError(`${path}: cannot write: a path ending in '${sep}' names a folder; add a file name, e.g. ${join(path, exampleName)}`);
  }
  try {
    if (statSync(path).isDirectory()) throw new FileError(`${path}: cannot write: it is a folder; add a file name, e.g. ${join(path, exampleName)}`);
  } catch (error) {
    if (error instanceof FileError) throw error;
  }
  const folder = dirname(resolve(path));
  let folderStats: Stats;
  try {
    folderStats = statSync(folder);
  } catch {
    throw new FileError(`${path}: cannot write: the folder ${folder} does not exist; create it first`);
  }
  if (!folderStats.isDirectory()) throw new FileError(`${path}: cannot write: ${folder} is not a folder`);
  try {
    accessSync(folder, constants.W_OK | constants.X_OK);
  } catch {
    throw new FileError(`${path}: cannot write: no permission to write in ${folder}`);
  }
  removeStaleTemporaries(path);
}
