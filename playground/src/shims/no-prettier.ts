// compiler/compile.ts imports prettier only in formatModule, which the playground never calls:
// the page offers the TypeScript module as the emitter writes it, without prettier's layout.
export function format(): never {
  throw new Error("prettier is not available in the browser playground");
}
