// Folding: model and block bodies, statements that span lines (broken pipes, train
// blocks), block comments, and runs of line comments on lines of their own.
import { FoldingRangeKind, type FoldingRange } from "vscode-languageserver";
import type { Analysis } from "./documents.js";

export class FoldingRangesProvider {
  ranges(analysis: Analysis): FoldingRange[] {
    const { program } = analysis.result;
    const line = (offset: number): number => analysis.positionAt(offset).line;
    const ranges: FoldingRange[] = [];
    const add = (start: number, end: number, kind?: FoldingRangeKind): void => {
      if (end > start) ranges.push(kind ? { startLine: start, endLine: end, kind } : { startLine: start, endLine: end });
    };
    for (const item of program.items) {
      if (item.kind === "Const") {
        add(line(item.range.start.offset), line(item.range.end.offset));
        continue;
      }
      // Up to the line before `}`, which stays visible under the folded header.
      add(line(item.range.start.offset), line(item.range.end.offset) - 1);
      for (const s of item.body) add(line(s.range.start.offset), line(s.range.end.offset) - (s.kind === "Train" ? 1 : 0));
    }
    let run: { start: number; end: number } | undefined;
    const closeRun = (): void => {
      if (run) add(run.start, run.end, FoldingRangeKind.Comment);
      run = undefined;
    };
    for (const c of program.comments) {
      const start = line(c.range.start.offset);
      const alone = /^[ \t]*$/.test(analysis.text.slice(analysis.document.offsetAt({ line: start, character: 0 }), c.range.start.offset));
      if (!alone) continue;
      if (c.block) {
        closeRun();
        add(start, line(c.range.end.offset), FoldingRangeKind.Comment);
      } else if (run && start === run.end + 1) run.end = start;
      else {
        closeRun();
        run = { start, end: start };
      }
    }
    closeRun();
    return ranges;
  }
}
