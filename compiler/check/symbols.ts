// What every name in a file refers to: the table behind go-to-definition, find references,
// rename and hover in the language server.
import type { BlockDecl, Identifier, ModelDecl, Node } from "../../grammar/ast.js";

export type DeclarationKind =
  | "const"
  | "input"
  | "target"
  | "binding"
  | "output"
  | "block"
  | "model"
  /** A block's parameter (`hidden: int`). */
  | "param"
  /** A block's shape variable (`T` in `input x: [T, D]`), bound at each call. */
  | "shape";

export interface Declaration {
  kind: DeclarationKind;
  /** The identifier that declares the name; its range is where go-to-definition lands. */
  name: Identifier;
  /** The declaring node: the ConstDecl, Binding, InputDecl, BlockParam, BlockDecl...; for a shape variable, its Identifier. */
  node: Node;
  /** The model or block the declaration belongs to; null at file level. */
  owner: ModelDecl | BlockDecl | null;
}

/** A name that refers to the library rather than to the file: a layer, loss, optimizer, init scheme or schedule. */
export interface LibraryReference {
  group: "layer" | "loss" | "optimizer" | "init" | "schedule" | "surrogate";
  name: string;
  doc: string;
}

export interface Symbols {
  /** Every declaration, by its declaring identifier. */
  declarations: Map<Identifier, Declaration>;
  /** Every resolved use of a name (values, block callees, named arguments of block calls), to what it declares. */
  definitionOf: Map<Identifier, Declaration>;
  /** The uses of each declaration, in source order (the declaring identifier itself not included). */
  referencesOf: Map<Declaration, Identifier[]>;
  /** Callee and word identifiers that name library entries (`dense`, `adam`, `he_normal`). */
  library: Map<Identifier, LibraryReference>;
}

export function emptySymbols(): Symbols {
  return { declarations: new Map(), definitionOf: new Map(), referencesOf: new Map(), library: new Map() };
}
