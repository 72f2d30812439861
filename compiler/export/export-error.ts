// What `nnc export` refuses: one line naming the file, the `.nn` line, the op and what to do.

export class ExportError extends Error {
  override readonly name = "ExportError";
}
