// The one way text from a `.nn` file reaches an emitted module. A `.nn` file may come from
// anyone, and its names, call text and comments end up in the module's comments, string
// literals and declarations; whatever they hold, they must stay inert there. Every piece of
// model text the emitter writes goes through one of these functions, and
// test/security/injection.test.ts holds the result: the module's tokens outside comments do
// not depend on that text.
//
// Inert also where the module is inlined into an HTML page: `</script` or `<!--` would end
// or disturb the <script> element whatever JavaScript makes of them, so neither appears
// anywhere in what these functions return.

/** Runs of whitespace, line terminators included (JavaScript's `\s` covers LF, CR, U+2028 and U+2029). */
const WHITESPACE = /\s+/g;

/**
 * Characters that would be invisible or misleading in the text: C0 and C1 controls, and the
 * bidirectional overrides and isolates that make a line read differently from how it parses.
 */
const INVISIBLE = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g;

/** What ends a comment (`*\/`) or disturbs an enclosing <script> element (`</`, `<!--`). */
const COMMENT_BREAKERS = /\*\/|<\/|<!--/g;

const COMMENT_ESCAPES: Readonly<Record<string, string>> = { "*/": "*\\/", "</": "<\\/", "<!--": "<\\!--" };

function codeUnitEscape(c: string): string {
  return `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`;
}

/**
 * Text for the inside of a `//` or `/* *\/` comment: on one line (every run of whitespace,
 * line terminators included, becomes one space), with invisible characters written as
 * `\uXXXX` and no `*\/`, `</` or `<!--` left. A comment still reads like the text.
 */
export function commentText(text: string): string {
  return text
    .replace(WHITESPACE, " ")
    .replace(INVISIBLE, codeUnitEscape)
    .replace(COMMENT_BREAKERS, (m) => COMMENT_ESCAPES[m]!);
}

/** Characters JSON leaves as they are but a JavaScript string in an HTML page must not hold raw. */
const LITERAL_ESCAPES = /[<>\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff\u007f-\u009f]/g;

/**
 * A JavaScript expression for a plain value (string, number, boolean, null, or arrays and
 * objects of them): JSON, which is JavaScript, with `<`, `>`, U+2028, U+2029 and invisible
 * characters escaped. Those can only occur inside JSON's strings, where `\uXXXX` means the
 * same character, so the value is unchanged. `indent` as in JSON.stringify.
 */
export function literal(value: unknown, indent?: number): string {
  const json = JSON.stringify(value, null, indent);
  if (json === undefined) throw new Error(`internal error: ${String(value)} has no literal`);
  return json.replace(LITERAL_ESCAPES, codeUnitEscape);
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** Whether `name` can be written as a bare identifier or property name (ASCII only, on purpose). */
export function isIdentifier(name: string): boolean {
  return IDENTIFIER.test(name);
}

/**
 * A name the emitter declares (a class, a type): it must already be a plain ASCII identifier;
 * anything else is an emitter bug, never written into the module.
 */
export function identifier(name: string): string {
  if (!isIdentifier(name)) throw new Error(`internal error: ${literal(name)} is not an identifier`);
  return name;
}

/**
 * A property name in an object type: bare when it is an identifier, else a string literal.
 * Not for object literals, where a key `__proto__`, bare or quoted, sets the prototype.
 */
export function propertyKey(name: string): string {
  return isIdentifier(name) ? name : literal(name);
}

/**
 * Identifiers made from model text, such as a class field named after its layer: every run of
 * characters an identifier cannot hold becomes one `_`, a leading digit gets a `_` before it,
 * and a name already handed out (or reserved) gets `_2`, `_3`, ... appended. Only ASCII letters,
 * digits and `_` survive, so whatever the text, the result is one identifier token.
 */
export class IdentifierPool {
  private readonly used: Set<string>;

  constructor(reserved: Iterable<string>) {
    this.used = new Set(reserved);
  }

  /** A new identifier that reads like `text`, at most about 60 characters long. */
  fresh(text: string): string {
    return this.freshPair(text, "")[0];
  }

  /**
   * A new identifier that reads like `text` (as `fresh`) and its `prefix`ed form, new too: a
   * parameter's buffer and its gradient's (`grad_` and the same), so that one names the other.
   */
  freshPair(text: string, prefix: string): [string, string] {
    const cleaned = text.replace(/[^A-Za-z0-9_]+/g, "_").replace(/^_+|_+$/g, "").slice(0, 60);
    const base = cleaned === "" ? "value" : /^\d/.test(cleaned) ? `_${cleaned}` : cleaned;
    let candidate = base;
    for (let k = 2; this.used.has(candidate) || this.used.has(prefix + candidate); k++) candidate = `${base}_${k}`;
    this.used.add(candidate);
    this.used.add(prefix + candidate);
    return [identifier(candidate), identifier(prefix + candidate)];
  }
}
