// What the text before the cursor says about what may come next: the word being typed, the
// token before it, and the call or `train { }` the cursor is inside. Read from tokens, not
// from the tree, because the tree of a half-typed call is a guess.
import { tokenize, type SourceToken } from "../../grammar/index.js";
import { maxSourceBytes } from "../../compiler/check/limits.js";

export interface CallContext {
  callee: string;
  /** The call follows `|>`: its first tensor input comes from the pipe. */
  piped: boolean;
  /** How many arguments come before the one the cursor is in. */
  argumentIndex: number;
  /** `init` in `dense(4, init: he|`: the named argument the cursor is in. */
  namedArgument?: string;
  /** The names already given in this call. */
  givenNames: string[];
  /** Nothing but the word being typed in the current argument: an argument's name may go here. */
  atArgumentStart: boolean;
}

export interface CursorContext {
  /** The identifier being typed, up to the cursor ("" between words). */
  word: string;
  /** The last token before that word. */
  previous?: SourceToken;
  /** The previous token is on an earlier line than the cursor. */
  startOfLine: boolean;
  inComment: boolean;
  call?: CallContext;
  /** Inside `train { }`, with the keys already given. */
  train?: { givenKeys: string[]; atEntryStart: boolean };
}

/** `from` is where reading may start: the start of the item the cursor is in. */
export function cursorContext(text: string, from: number, offset: number): CursorContext {
  // A file too large to check has no items: read no more than a file may hold.
  const prefix = text.slice(Math.max(from, offset - maxSourceBytes), offset);
  const all = tokenize(prefix);
  const lastAny = all[all.length - 1];
  const inComment = lastAny !== undefined && lastAny.kind === "comment" && lastAny.range.end.offset === prefix.length && !/\*\/$/.test(lastAny.text);
  const tokens = all.filter((t) => t.kind !== "comment");
  let word = "";
  const last = tokens[tokens.length - 1];
  if (last && last.range.end.offset === prefix.length && (last.kind === "identifier" || last.kind === "keyword" || last.kind === "bool")) {
    word = last.text;
    tokens.pop();
  }
  const previous = tokens[tokens.length - 1];
  const startOfLine = !previous || /[\r\n]/.test(prefix.slice(previous.range.end.offset));
  const context: CursorContext = { word, startOfLine, inComment };
  if (previous) context.previous = previous;

  const open = innermostOpenBracket(tokens);
  if (open === undefined) return context;
  const opener = tokens[open]!;
  const inside = splitArguments(tokens.slice(open + 1));
  const current = inside[inside.length - 1] ?? [];
  const namedPairs = inside.filter((a) => a.length >= 2 && a[0]!.kind === "identifier" && a[1]!.text === ":").map((a) => a[0]!.text);
  const before = tokens[open - 1];
  if (opener.text === "(" && before?.kind === "identifier") {
    const call: CallContext = {
      callee: before.text,
      piped: tokens[open - 2]?.text === "|>",
      argumentIndex: inside.length - 1,
      givenNames: namedPairs,
      atArgumentStart: current.length === 0,
    };
    if (current.length >= 2 && current[0]!.kind === "identifier" && current[1]!.text === ":") call.namedArgument = current[0]!.text;
    context.call = call;
  } else if (opener.text === "{" && before?.text === "train") {
    // Train entries may be separated by line breaks instead of commas: keys are found as `name :`.
    const body = tokens.slice(open + 1);
    const givenKeys = body.filter((t, i) => t.kind === "identifier" && body[i + 1]?.text === ":").map((t) => t.text);
    const atEntryStart = previous === opener || previous?.text === "," || startOfLine;
    context.train = { givenKeys, atEntryStart };
  }
  return context;
}

/** Index of the innermost bracket still open at the end of `tokens`. */
function innermostOpenBracket(tokens: readonly SourceToken[]): number | undefined {
  const stack: number[] = [];
  const closes: Record<string, string> = { ")": "(", "]": "[", "}": "{" };
  tokens.forEach((t, i) => {
    if (t.text === "(" || t.text === "[" || t.text === "{") stack.push(i);
    else if (closes[t.text] && stack.length > 0) stack.pop();
  });
  return stack[stack.length - 1];
}

/** The tokens inside a bracket, split at its top-level commas. */
function splitArguments(tokens: readonly SourceToken[]): SourceToken[][] {
  const parts: SourceToken[][] = [[]];
  let depth = 0;
  for (const t of tokens) {
    if (t.text === "(" || t.text === "[" || t.text === "{") depth++;
    else if (t.text === ")" || t.text === "]" || t.text === "}") depth--;
    if (depth === 0 && t.text === ",") parts.push([]);
    else parts[parts.length - 1]!.push(t);
  }
  return parts;
}
