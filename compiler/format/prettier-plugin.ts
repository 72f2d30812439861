// A prettier plugin for `.nn` files, built on the same formatter as `nnc fmt`, so that
//   npx prettier --plugin ./dist/compiler/format/prettier-plugin.js --write "**/*.nn"
// gives the canonical layout. Exported from the package as "neuron/prettier-plugin".
// prettier's `printWidth` sets the width at which pipes break (default 100, as `nnc fmt`).
import type { Parser, Plugin, Printer, SupportLanguage } from "prettier";
import { parse } from "../../grammar/index.js";
import { DEFAULT_WIDTH, formatText } from "./format.js";

/** The whole file: the formatter works on text, so prettier's tree is one node holding it. */
interface NnFile {
  type: "nn-file";
  text: string;
  start: number;
  end: number;
}

const AST_FORMAT = "nn-file";

export const languages: SupportLanguage[] = [{ name: "nn", extensions: [".nn"], parsers: ["nn"], vscodeLanguageIds: ["nn"] }];

const nnParser: Parser<NnFile> = {
  astFormat: AST_FORMAT,
  parse(text) {
    const first = parse(text).diagnostics.find((d) => d.severity === "error");
    if (first) {
      const { line, column } = first.range.start;
      // prettier reports an error with `loc` as `file: SyntaxError: message (line:column)` and a code frame.
      throw Object.assign(new SyntaxError(first.message), { loc: { start: { line, column } } });
    }
    return { type: "nn-file", text, start: 0, end: text.length };
  },
  locStart: (node) => node.start,
  locEnd: (node) => node.end,
};

const nnPrinter: Printer<NnFile> = {
  print(path, options) {
    const result = formatText(path.node.text, { width: options.printWidth });
    if (!result.ok) throw new Error(result.diagnostics.map((d) => d.message).join("\n"));
    return result.text;
  },
};

export const parsers: Record<string, Parser<NnFile>> = { nn: nnParser };
export const printers: Record<string, Printer<NnFile>> = { [AST_FORMAT]: nnPrinter };
export const defaultOptions: Plugin["defaultOptions"] = { printWidth: DEFAULT_WIDTH };

const plugin: Plugin<NnFile> = { languages, parsers, printers, defaultOptions };
export default plugin;
