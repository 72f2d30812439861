// Between stdin and the JSON-RPC reader: passes on only well-formed messages (`Content-Length: N`
// headers, then N bytes) and skips anything else up to the next header that parses. The
// reader of vscode-jsonrpc, given a malformed header (`Content-Length: abc`) or bytes that
// are no header at all, reports an error and then waits for a header it never finds: the
// server stayed alive and never answered again. Here a bad stretch costs one log line.
import { Transform, type TransformCallback } from "node:stream";

/** No real header comes near this: past it without an end, the bytes are not a header. */
const maxHeaderBytes = 8 * 1024;
/** Far above any message an editor sends (a 4 MiB document, escaped); a larger length is a corrupt header. */
const maxBodyBytes = 256 * 1024 * 1024;
const headerEnd = Buffer.from("\r\n\r\n");
const lengthField = /content-length:/i;

export class FrameGuard extends Transform {
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** Header and body of the message being read, once its header has parsed. */
  private frameLength: number | null = null;

  constructor(private readonly onSkip: (why: string) => void) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    this.drain();
    done();
  }

  private drain(): void {
    for (;;) {
      if (this.frameLength !== null) {
        if (this.buffered < this.frameLength) return;
        const all = this.joined();
        this.push(all.subarray(0, this.frameLength));
        this.keep(all.subarray(this.frameLength));
        this.frameLength = null;
        continue;
      }
      if (this.buffered === 0) return;
      const head = this.joined();
      const end = head.indexOf(headerEnd);
      if (end < 0) {
        if (head.length > maxHeaderBytes) this.resync(head, `${head.length} bytes without a header end`);
        else return;
        continue;
      }
      const problem = headerProblem(head.subarray(0, end).toString("latin1"));
      if (typeof problem === "string") {
        this.resync(head, problem, end + headerEnd.length);
        continue;
      }
      this.frameLength = end + headerEnd.length + problem;
    }
  }

  /** Drops bytes up to the next `Content-Length:` after the first byte (else up to `fallback`), and says so. */
  private resync(head: Buffer, why: string, fallback = Math.max(1, head.length - 15)): void {
    const text = head.toString("latin1");
    const next = text.slice(1).search(lengthField);
    const from = next >= 0 ? next + 1 : fallback;
    this.onSkip(`nnc lsp: skipped ${from} bytes that were not a message (${why}); reading on from the next header`);
    this.keep(head.subarray(from));
  }

  private joined(): Buffer {
    if (this.chunks.length !== 1) this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0] ?? Buffer.alloc(0);
  }

  private keep(rest: Buffer): void {
    this.chunks = rest.length > 0 ? [rest] : [];
    this.buffered = rest.length;
  }
}

/** The body length a header announces, or what is wrong with it. */
function headerProblem(header: string): number | string {
  let length: number | null = null;
  for (const line of header.split("\r\n")) {
    const match = /^([A-Za-z][A-Za-z0-9-]*):[ \t]*(.*?)[ \t]*$/.exec(line);
    if (!match) return `a header line that is not 'Name: value': ${JSON.stringify(line.slice(0, 60))}`;
    if (match[1]!.toLowerCase() !== "content-length") continue;
    if (!/^\d{1,10}$/.test(match[2]!) || Number(match[2]) > maxBodyBytes) return `Content-Length ${JSON.stringify(match[2]!.slice(0, 20))} is not a length up to ${maxBodyBytes} bytes`;
    length = Number(match[2]);
  }
  return length ?? "a header without Content-Length";
}
