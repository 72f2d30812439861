// Reading the files a command is given, with a one-line error naming the file and the fix.
import { readFile } from "node:fs/promises";
import { UsageError } from "./args.js";

export async function readSourceFile(path: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new UsageError(`cannot read '${path}': no such file; check the path`);
    if (code === "EISDIR") throw new UsageError(`cannot read '${path}': it is a directory; name a .nn file`);
    if (code === "EACCES") throw new UsageError(`cannot read '${path}': permission denied`);
    throw new UsageError(`cannot read '${path}': ${(e as Error).message}`);
  }
}
