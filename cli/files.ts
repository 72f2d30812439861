// Reading the files a command is given, with a one-line error naming the file and the fix.
import { readFile } from "node:fs/promises";
import { unreadableReason } from "../compiler/model-source.js";
import { UsageError } from "./args.js";

export async function readSourceFile(path: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (e) {
    throw new UsageError(`${path}: cannot read: ${unreadableReason(e)}`);
  }
}
