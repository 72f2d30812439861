// The page's `.nn` editor: a plain textarea over a layer that underlines the diagnostics'
// ranges (the same text in the same monospace font, transparent but for the underlines),
// with a line-number gutter, a hover tooltip and a completion list. What to show comes
// from callbacks (main.ts runs the checker and the language server's providers).

import type { Diagnostic } from "../../compiler/diagnostics.js";
import { escapeHtml } from "../../compiler/report/escape.js";

export interface CompletionChoice {
  label: string;
  detail?: string;
  insertText: string;
}

export interface EditorCallbacks {
  onChange(text: string): void;
  /** Markdown-ish hover text at an offset (code spans and ```nn fences), or null. */
  hoverAt(offset: number): string | null;
  completionsAt(offset: number): CompletionChoice[];
}

function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) starts.push(i + 1);
  return starts;
}

/** Hover markdown as HTML: fenced blocks and `code` spans; everything escaped first. */
function markdownToHtml(markdown: string): string {
  return escapeHtml(markdown)
    .replace(/```nn\n([\s\S]*?)\n```/g, (_, code: string) => `<pre>${code}</pre>`)
    .replace(/`([^`]+)`/g, (_, code: string) => `<code>${code}</code>`)
    .replace(/\n\n/g, "<br>");
}

export class Editor {
  readonly textarea: HTMLTextAreaElement;
  private readonly marks: HTMLPreElement;
  private readonly gutter: HTMLPreElement;
  private readonly tooltip: HTMLDivElement;
  private readonly list: HTMLUListElement;
  private diagnostics: readonly Diagnostic[] = [];
  private choices: CompletionChoice[] = [];
  private chosen = 0;
  private wordStart = 0;

  constructor(host: HTMLElement, private readonly callbacks: EditorCallbacks) {
    host.classList.add("editor");
    host.innerHTML =
      '<pre class="gutter" aria-hidden="true"></pre><div class="code-area"><pre class="marks" aria-hidden="true"></pre>' +
      '<textarea class="code" spellcheck="false" wrap="off" autocapitalize="off" autocomplete="off" aria-label=".nn source"></textarea></div>' +
      '<div class="tooltip" hidden></div><ul class="completions" hidden></ul>';
    this.gutter = host.querySelector(".gutter")!;
    this.marks = host.querySelector(".marks")!;
    this.textarea = host.querySelector("textarea")!;
    this.tooltip = host.querySelector(".tooltip")!;
    this.list = host.querySelector(".completions")!;
    this.textarea.addEventListener("input", () => {
      this.render();
      this.callbacks.onChange(this.textarea.value);
      if (!this.list.hidden) this.openCompletions(false);
    });
    this.textarea.addEventListener("scroll", () => this.syncScroll());
    this.textarea.addEventListener("mousemove", (e) => this.hover(e));
    this.textarea.addEventListener("mouseleave", () => (this.tooltip.hidden = true));
    this.textarea.addEventListener("keydown", (e) => this.key(e));
    this.textarea.addEventListener("blur", () => setTimeout(() => (this.list.hidden = true), 150));
    this.list.addEventListener("mousedown", (e) => {
      const item = (e.target as HTMLElement).closest("li");
      if (item !== null) {
        e.preventDefault();
        this.accept(Number(item.dataset.index));
      }
    });
  }

  get text(): string {
    return this.textarea.value;
  }

  set text(value: string) {
    this.textarea.value = value;
    this.textarea.scrollTop = 0;
    this.render();
    this.callbacks.onChange(value);
  }

  setDiagnostics(diagnostics: readonly Diagnostic[]): void {
    this.diagnostics = diagnostics;
    this.render();
  }

  /** Puts the caret at the start of a 1-based line and shows it. */
  goToLine(line: number): void {
    const starts = lineStarts(this.text);
    const at = starts[Math.min(line, starts.length) - 1] ?? 0;
    this.textarea.focus();
    this.textarea.setSelectionRange(at, at);
    this.textarea.scrollTop = Math.max(0, (line - 3) * this.metrics().lineHeight);
  }

  private render(): void {
    const text = this.text;
    const starts = lineStarts(text);
    const errorLines = new Set(this.diagnostics.map((d) => d.range.start.line));
    this.gutter.innerHTML = starts.map((_, i) => `<span${errorLines.has(i + 1) ? ' class="has-error"' : ""}>${i + 1}</span>`).join("\n") + "\n";
    // Underlined ranges, in order, never overlapping; an empty range underlines one character.
    const ranges = this.diagnostics
      .map((d) => ({ start: d.range.start.offset, end: Math.max(d.range.end.offset, d.range.start.offset + 1), severity: d.severity }))
      .sort((a, b) => a.start - b.start);
    let html = "";
    let at = 0;
    for (const r of ranges) {
      const start = Math.max(r.start, at);
      const end = Math.min(r.end, text.length);
      if (start >= end) continue;
      html += escapeHtml(text.slice(at, start)) + `<span class="mark ${r.severity}">${escapeHtml(text.slice(start, end))}</span>`;
      at = end;
    }
    // A trailing newline keeps the layer as tall as the textarea's text.
    this.marks.innerHTML = html + escapeHtml(text.slice(at)) + "\n ";
    this.syncScroll();
  }

  private syncScroll(): void {
    this.marks.scrollTop = this.textarea.scrollTop;
    this.marks.scrollLeft = this.textarea.scrollLeft;
    this.gutter.scrollTop = this.textarea.scrollTop;
  }

  private metrics(): { charWidth: number; lineHeight: number; padding: number } {
    const style = getComputedStyle(this.textarea);
    const probe = document.createElement("span");
    probe.style.font = style.font;
    probe.style.position = "absolute";
    probe.style.visibility = "hidden";
    probe.style.whiteSpace = "pre";
    probe.textContent = "M".repeat(20);
    document.body.append(probe);
    const charWidth = probe.getBoundingClientRect().width / 20;
    probe.remove();
    return { charWidth, lineHeight: parseFloat(style.lineHeight), padding: parseFloat(style.paddingLeft) };
  }

  /** The text offset under a point of the textarea, or null past a line's end. */
  private offsetAt(clientX: number, clientY: number): number | null {
    const { charWidth, lineHeight, padding } = this.metrics();
    const box = this.textarea.getBoundingClientRect();
    const x = clientX - box.left - padding + this.textarea.scrollLeft;
    const y = clientY - box.top - padding + this.textarea.scrollTop;
    const line = Math.floor(y / lineHeight);
    const column = Math.floor(x / charWidth);
    const starts = lineStarts(this.text);
    if (line < 0 || line >= starts.length || column < 0) return null;
    const end = line + 1 < starts.length ? starts[line + 1]! - 1 : this.text.length;
    const offset = starts[line]! + column;
    return offset < end ? offset : null;
  }

  /** Pixel position of a text offset, relative to the editor. */
  private pointOf(offset: number): { left: number; top: number } {
    const { charWidth, lineHeight, padding } = this.metrics();
    const starts = lineStarts(this.text);
    let line = starts.length - 1;
    while (starts[line]! > offset) line--;
    const area = this.textarea.getBoundingClientRect();
    const host = this.textarea.closest(".editor")!.getBoundingClientRect();
    return {
      left: area.left - host.left + padding + (offset - starts[line]!) * charWidth - this.textarea.scrollLeft,
      top: area.top - host.top + padding + (line + 1) * lineHeight - this.textarea.scrollTop,
    };
  }

  private hover(event: MouseEvent): void {
    const offset = this.offsetAt(event.clientX, event.clientY);
    const markdown = offset === null ? null : this.callbacks.hoverAt(offset);
    if (markdown === null) {
      this.tooltip.hidden = true;
      return;
    }
    this.tooltip.innerHTML = markdownToHtml(markdown);
    const host = this.textarea.closest(".editor")!.getBoundingClientRect();
    this.tooltip.style.left = `${event.clientX - host.left + 12}px`;
    this.tooltip.style.top = `${event.clientY - host.top + 16}px`;
    this.tooltip.hidden = false;
  }

  private key(event: KeyboardEvent): void {
    if ((event.ctrlKey || event.metaKey) && event.key === " ") {
      event.preventDefault();
      this.openCompletions(true);
      return;
    }
    if (this.list.hidden) return;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      this.chosen = (this.chosen + (event.key === "ArrowDown" ? 1 : this.choices.length - 1)) % this.choices.length;
      this.showChoices();
    } else if (event.key === "Enter" || event.key === "Tab") {
      event.preventDefault();
      this.accept(this.chosen);
    } else if (event.key === "Escape") {
      this.list.hidden = true;
    }
  }

  /** Completions for the word before the caret; `explicit` (Ctrl+Space) shows them even for an empty word. */
  private openCompletions(explicit: boolean): void {
    const caret = this.textarea.selectionStart;
    const before = this.text.slice(0, caret);
    const word = /[A-Za-z_][A-Za-z0-9_]*$/.exec(before)?.[0] ?? "";
    if (!explicit && word === "") {
      this.list.hidden = true;
      return;
    }
    this.wordStart = caret - word.length;
    this.choices = this.callbacks.completionsAt(caret).filter((c) => c.label.startsWith(word)).slice(0, 50);
    this.chosen = 0;
    if (this.choices.length === 0) {
      this.list.hidden = true;
      return;
    }
    const at = this.pointOf(this.wordStart);
    this.list.style.left = `${at.left}px`;
    this.list.style.top = `${at.top}px`;
    this.showChoices();
    this.list.hidden = false;
  }

  private showChoices(): void {
    this.list.innerHTML = this.choices
      .map((c, i) => `<li data-index="${i}"${i === this.chosen ? ' class="chosen"' : ""}>${escapeHtml(c.label)}${c.detail ? ` <small>${escapeHtml(c.detail)}</small>` : ""}</li>`)
      .join("");
  }

  private accept(index: number): void {
    const choice = this.choices[index];
    this.list.hidden = true;
    if (choice === undefined) return;
    const caret = this.textarea.selectionStart;
    this.textarea.setRangeText(choice.insertText, this.wordStart, caret, "end");
    this.render();
    this.callbacks.onChange(this.textarea.value);
    this.textarea.focus();
  }
}
