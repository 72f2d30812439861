// Turns UTF-16 offsets into the Positions of ast.ts. Chevrotain counts columns in UTF-16
// units, but editors and our diagnostics count code points (an emoji is one column), so
// positions are computed here from offsets alone, by one index built per source text.
import type { Position, Range } from "./ast.js";

const BYTE_ORDER_MARK = 0xfeff;

export class LineIndex {
  /** Offset of the first character of each line. */
  private readonly lineStarts: number[] = [0];
  /** Per line: true when it holds a surrogate pair, so columns cannot be read off offsets. */
  private readonly hasAstral: boolean[] = [];

  constructor(private readonly text: string) {
    let astral = false;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 10 || c === 13) {
        if (c === 13 && text.charCodeAt(i + 1) === 10) i++;
        this.hasAstral.push(astral);
        astral = false;
        this.lineStarts.push(i + 1);
      } else if (c >= 0xd800 && c <= 0xdfff) {
        astral = true;
      }
    }
    this.hasAstral.push(astral);
  }

  get length(): number {
    return this.text.length;
  }

  /**
   * The last few positions made, by offset modulo their number. A syntax tree asks for the
   * same offset a few times in a row (a call ends where its `)` does, and so does the
   * statement around it); sharing those objects keeps trees smaller. Positions are never
   * modified, so sharing them is safe.
   */
  private readonly recent: (Position | undefined)[] = new Array<Position | undefined>(16).fill(undefined);

  position(offset: number): Position {
    const clamped = Math.max(0, Math.min(offset, this.text.length));
    const slot = clamped & 15;
    const recent = this.recent[slot];
    if (recent !== undefined && recent.offset === clamped) return recent;
    const position = this.compute(clamped);
    this.recent[slot] = position;
    return position;
  }

  private compute(clamped: number): Position {
    const line = this.lineOf(clamped);
    // A byte order mark is invisible to editors, so it takes no column.
    let lineStart = this.lineStarts[line];
    if (line === 0 && this.text.charCodeAt(0) === BYTE_ORDER_MARK && clamped > 0) lineStart = 1;
    const column = this.hasAstral[line]
      ? countCodePoints(this.text, lineStart, clamped) + 1
      : clamped - lineStart + 1;
    return { line: line + 1, column, offset: clamped };
  }

  /** The last few ranges made, by start offset modulo their number: a name and the expression it forms share one. */
  private readonly recentRanges: (Range | undefined)[] = new Array<Range | undefined>(16).fill(undefined);

  /** `end` is exclusive. */
  range(start: number, end: number): Range {
    const from = this.position(start);
    const to = this.position(Math.max(start, end));
    const slot = from.offset & 15;
    const recent = this.recentRanges[slot];
    if (recent !== undefined && recent.start === from && recent.end === to) return recent;
    const range = { start: from, end: to };
    this.recentRanges[slot] = range;
    return range;
  }

  /** The start of the line holding `offset`: its offset, and the line, 1-based. */
  lineStartOf(offset: number): { offset: number; line: number } {
    const line = this.lineOf(Math.max(0, Math.min(offset, this.text.length)));
    return { offset: this.lineStarts[line], line: line + 1 };
  }

  /** True when a line break lies between the two offsets. */
  lineBreakBetween(from: number, to: number): boolean {
    return this.lineOf(Math.max(0, from)) !== this.lineOf(Math.min(to, this.text.length));
  }

  /** The line found last: the parser asks for positions mostly in source order, so it is usually the answer. */
  private lastLine = 0;

  private lineOf(offset: number): number {
    const starts = this.lineStarts;
    const guess = this.lastLine;
    if (starts[guess] <= offset && (guess + 1 === starts.length || offset < starts[guess + 1])) return guess;
    this.lastLine = this.search(offset);
    return this.lastLine;
  }

  private search(offset: number): number {
    let low = 0;
    let high = this.lineStarts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if (this.lineStarts[mid] <= offset) low = mid;
      else high = mid - 1;
    }
    return low;
  }
}

function countCodePoints(text: string, from: number, to: number): number {
  let count = 0;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    // A high surrogate followed by a low one is a single code point.
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < to) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
    }
    count++;
  }
  return count;
}
