// Parsed top-level items kept from one version of a document to the next, so that an edit
// re-parses only the items it touches (the language server parses on every keystroke).
//
// parse.ts reads a file one top-level item at a time, and an item that parses without a
// single diagnostic depends on nothing but its own text: the parser's recovery, the error
// messages and the tokens around it only matter once something is wrong. Such an item is
// cached under its text, from the start of its first line (so that the columns of that line
// come out the same) to the end of its last token. Found again elsewhere in the file, its
// tree is copied with every offset and line moved by the distance it travelled; found in
// the same place, the tree itself is reused.
import type { Position, TopLevel } from "./ast.js";

const BYTE_ORDER_MARK = 0xfeff;

/** An item's place in the text being parsed, and the text it is cached under. */
export interface ItemKey {
  /** From the start of the item's first line to the end of its last token. */
  text: string;
  /** Where `text` starts: the offset of the item's first line, and that line (1-based). */
  offset: number;
  line: number;
  /** The offset just after the item's last token. */
  end: number;
}

interface CachedItem {
  item: TopLevel;
  /** Where the key text started when the item was read. */
  offset: number;
  line: number;
}

export class ParseCache {
  /** Items of the version parsed last; what the current parse has not found again is dropped after it. */
  private previous = new Map<string, CachedItem>();
  private current = new Map<string, CachedItem>();

  /** parse.ts calls this before each parse: items not seen since the last one are forgotten. */
  startParse(): void {
    this.previous = this.current;
    this.current = new Map();
  }

  /** The item an earlier parse read from the same text, placed where `key` says; undefined if none did. */
  find(key: ItemKey): TopLevel | undefined {
    const cached = this.current.get(key.text) ?? this.previous.get(key.text);
    if (!cached) return undefined;
    if (cached.offset === key.offset && cached.line === key.line) {
      this.current.set(key.text, cached);
      return cached.item;
    }
    // A byte order mark takes no column at the start of the file and one anywhere else, so
    // an item whose first line starts with one reads differently once it moves.
    if (key.text.charCodeAt(0) === BYTE_ORDER_MARK) return undefined;
    const item = moved(cached.item, key.line - cached.line, key.offset - cached.offset);
    this.store(key, item);
    return item;
  }

  /** Keeps an item that parsed without a single diagnostic (see the top of this file for why only those). */
  store(key: ItemKey, item: TopLevel): void {
    this.current.set(key.text, { item, offset: key.offset, line: key.line });
  }
}

/**
 * A copy of a syntax tree with every Position moved down `lines` lines and on `offset`
 * characters. Columns stay: the cache key starts at a line start, so every line of the
 * item reads as it did.
 */
function moved<T>(value: T, lines: number, offset: number): T {
  if (typeof value !== "object" || value === null) return value;
  if (Array.isArray(value)) return value.map((v: unknown) => moved(v, lines, offset)) as T;
  if (isPosition(value)) {
    const position: Position = { line: value.line + lines, column: value.column, offset: value.offset + offset };
    return position as T;
  }
  const copy: Record<string, unknown> = {};
  // Syntax tree nodes are plain object literals: every enumerable key is their own.
  for (const key in value) copy[key] = moved(value[key], lines, offset);
  return copy as T;
}

function isPosition(value: object): value is Position {
  return "offset" in value && "line" in value && "column" in value;
}
