// Running `nnc` in-process for tests, and scratch copies of the example projects.
import { copyFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { run } from "../../cli/main.js";

export const repositoryRoot = join(import.meta.dirname, "../..");

export interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

/** `nnc ...argv` through run(), with stdout and stderr collected (not a terminal unless `tty`). */
export async function nnc(...argv: string[]): Promise<Outcome> {
  return nncOn({}, ...argv);
}

export async function nncOn(terminal: { isTTY?: boolean; columns?: number }, ...argv: string[]): Promise<Outcome> {
  let stdout = "";
  let stderr = "";
  const code = await run(argv, { stdout: { ...terminal, write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) } });
  return { code, stdout, stderr };
}

export interface Project {
  dir: string;
  /** A file in the project's directory. */
  at(name: string): string;
}

/** A temporary directory holding copies of these files of examples/. */
export function exampleProject(...files: string[]): Project {
  const dir = mkdtempSync(join(tmpdir(), "nnc-"));
  for (const file of files) copyFileSync(join(repositoryRoot, "examples", file), join(dir, file));
  return { dir, at: (name) => join(dir, name) };
}

/** A scratch copy of examples/xor.nn and examples/xor.csv. */
export function xorProject(): Project & { model: string; data: string } {
  const project = exampleProject("xor.nn", "xor.csv");
  return { ...project, model: project.at("xor.nn"), data: project.at("xor.csv") };
}
