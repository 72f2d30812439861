// The TypeScript dialect's one change to a kernel body: a `!` after every typed-array element
// read (`x[p]!`), as `noUncheckedIndexedAccess` asks; the assertion is erased, so it costs
// nothing at run time. The body is read as JavaScript tokens to find those reads. (Which names
// a body uses its generator states as it writes it, compiler/ir/ops/op.ts.)
//
// Kernel bodies are plain statements over numbers and typed arrays: no regular expression
// literals, and no template literals, so a name, a bracket or a comment is always what it
// looks like here.

interface Token {
  kind: "name" | "open" | "close" | "other";
  text: string;
  start: number;
  end: number;
}

const NAME_START = /[A-Za-z_$]/;
const NAME_PART = /[\w$]/;

/** Names, square brackets and single other characters; comments and strings are skipped. */
function tokens(body: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < body.length) {
    const c = body[i]!;
    const next = body[i + 1];
    if (c === "/" && next === "/") {
      const end = body.indexOf("\n", i);
      i = end === -1 ? body.length : end;
    } else if (c === "/" && next === "*") {
      const end = body.indexOf("*/", i + 2);
      i = end === -1 ? body.length : end + 2;
    } else if (c === '"' || c === "'" || c === "`") {
      let j = i + 1;
      while (j < body.length && body[j] !== c) j += body[j] === "\\" ? 2 : 1;
      i = j + 1;
    } else if (NAME_START.test(c)) {
      let j = i + 1;
      while (j < body.length && NAME_PART.test(body[j]!)) j++;
      out.push({ kind: "name", text: body.slice(i, j), start: i, end: j });
      i = j;
    } else if (/\d/.test(c)) {
      // A number, with its exponent or hex digits, so that `1e5` does not read as a name `e5`.
      let j = i + 1;
      while (j < body.length && /[\w.]/.test(body[j]!)) j++;
      i = j;
    } else if (/\s/.test(c)) {
      i++;
    } else {
      out.push({ kind: c === "[" ? "open" : c === "]" ? "close" : "other", text: c, start: i, end: i + 1 });
      i++;
    }
  }
  return out;
}

/**
 * The body with `!` after every element access of the named arrays that reads the element:
 * reads and compound updates (`s0[ch] += v`), not plain stores (`y[p] = v`), which TypeScript
 * accepts unasserted.
 */
export function assertElementReads(body: string, arrays: ReadonlySet<string>): string {
  const list = tokens(body);
  const insertAt: number[] = [];
  list.forEach((t, i) => {
    if (t.kind !== "name" || !arrays.has(t.text) || list[i - 1]?.text === "." || list[i + 1]?.kind !== "open") return;
    let depth = 0;
    for (let j = i + 1; j < list.length; j++) {
      const bracket = list[j]!;
      if (bracket.kind === "open") depth++;
      else if (bracket.kind === "close" && --depth === 0) {
        if (!isPlainStore(body, bracket.end)) insertAt.push(bracket.end);
        return;
      }
    }
    throw new Error(`internal error: unclosed '[' after '${t.text}' in a kernel body`);
  });
  let out = "";
  let from = 0;
  for (const at of insertAt.sort((a, b) => a - b)) {
    out += `${body.slice(from, at)}!`;
    from = at;
  }
  return out + body.slice(from);
}

/** Whether the text from `at` starts with `=` as an assignment (not `==`, `===` or `=>`). */
function isPlainStore(body: string, at: number): boolean {
  const rest = body.slice(at).trimStart();
  return rest[0] === "=" && rest[1] !== "=" && rest[1] !== ">";
}
