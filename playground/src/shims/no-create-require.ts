// compiler/emit/module.ts needs require() only to lay out a module with ts-morph (`pretty:
// true`), which the playground never asks for: ts-morph is far too heavy for a page.
export function createRequire(): (name: string) => never {
  return (name) => {
    throw new Error(`${name} is not available in the browser playground`);
  };
}
