// The one way text from a .nn file reaches generated Python: as a string literal, as an
// identifier (validated, else mangled) or as a comment (one line). Everything the PyTorch
// exporter writes that it did not write itself goes through these functions, so that a
// model or tensor name can never become code.

const KEYWORDS = new Set(
  (
    "False None True and as assert async await break class continue def del elif else except finally for from global " +
    "if import in is lambda nonlocal not or pass raise return try while with yield match case type print exec"
  ).split(" "),
);

/** A Python string literal (double-quoted, ASCII only) with the same characters as `text`. */
export function pyString(text: string): string {
  let out = '"';
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    if (ch === "\\" || ch === '"') out += `\\${ch}`;
    else if (code >= 0x20 && code < 0x7f) out += ch;
    else if (code <= 0xff) out += `\\x${code.toString(16).padStart(2, "0")}`;
    else if (code <= 0xffff) out += `\\u${code.toString(16).padStart(4, "0")}`;
    else out += `\\U${code.toString(16).padStart(8, "0")}`;
  }
  return `${out}"`;
}

/** True for an ASCII identifier that is not a keyword or a name the generated code uses. */
export function isPyIdentifier(name: string, reserved: ReadonlySet<string> = new Set()): boolean {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) && !KEYWORDS.has(name) && !reserved.has(name) && !name.startsWith("__");
}

/**
 * `name` itself when it is a safe identifier, else a mangled one (`v_` and the name's safe
 * characters, with a number where two would clash); `taken` collects the names handed out.
 */
export function pyIdentifier(name: string, taken: Set<string>, reserved: ReadonlySet<string> = new Set()): string {
  let base = isPyIdentifier(name, reserved) && !taken.has(name) ? name : `v_${name.replace(/[^A-Za-z0-9_]/g, "_")}`;
  if (!isPyIdentifier(base, reserved)) base = "v_";
  let out = base;
  for (let i = 1; taken.has(out); i++) out = `${base}_${i}`;
  taken.add(out);
  return out;
}

/** A `#` comment of one line: control characters and line breaks become spaces. */
export function pyComment(text: string): string {
  // eslint-disable-next-line no-control-regex
  return `# ${text.replace(/[\u0000-\u001f\u007f\u0085\u2028\u2029]/g, " ")}`;
}

/** A float literal Python reads back to the same double. */
export function pyNumber(value: number): string {
  if (!Number.isFinite(value)) throw new Error(`internal error: non-finite number ${value} in generated Python`);
  if (Number.isInteger(value)) return String(value);
  return String(value);
}
