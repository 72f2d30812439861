// Typed reads of resolved arguments inside shape rules. The checker has validated every value
// against its ArgDecl before a rule runs, so a wrong type here is a bug in the library, not
// in the user's program: it throws, and the checker turns that into an internal-error diagnostic.
import type { ArgValue } from "../graph.js";
import type { ResolvedArgs } from "./types.js";

function read(args: ResolvedArgs, name: string): ArgValue {
  const v = args[name];
  if (v === undefined) throw new Error(`library: argument '${name}' missing after defaults`);
  return v;
}

export function numberArg(args: ResolvedArgs, name: string): number {
  const v = read(args, name);
  if (typeof v !== "number") throw new Error(`library: argument '${name}' is not a number`);
  return v;
}

export function boolArg(args: ResolvedArgs, name: string): boolean {
  const v = read(args, name);
  if (typeof v !== "boolean") throw new Error(`library: argument '${name}' is not a boolean`);
  return v;
}

export function wordArg(args: ResolvedArgs, name: string): string {
  const v = read(args, name);
  if (typeof v !== "string") throw new Error(`library: argument '${name}' is not a word`);
  return v;
}

export function shapeArg(args: ResolvedArgs, name: string): number[] {
  const v = read(args, name);
  if (!Array.isArray(v)) throw new Error(`library: argument '${name}' is not a list`);
  return v;
}

/** An argument that may be omitted and has no fixed default (`stride` of a pool). */
export function optionalNumberArg(args: ResolvedArgs, name: string): number | undefined {
  const v = args[name];
  return typeof v === "number" ? v : undefined;
}
