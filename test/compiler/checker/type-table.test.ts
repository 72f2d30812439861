// The hover table is recorded as a list and read as a Map: reading it must give what a Map
// filled entry by entry would have held.
import { describe, expect, it } from "vitest";
import type { Identifier } from "../../../grammar/ast.js";
import { TypeTable } from "../../../compiler/check/type-table.js";
import type { ExprInfo } from "../../../compiler/check/types.js";

const at = { line: 1, column: 1, offset: 0 };
const identifier = (name: string): Identifier => ({ kind: "Identifier", name, range: { start: at, end: at } });
const number = (value: number): ExprInfo => ({ kind: "number", value });

describe("the type table", () => {
  it("keeps the first entry of a node recorded twice (a block body as at its first call)", () => {
    const table = new TypeTable();
    const x = identifier("x");
    const y = identifier("y");
    table.record(x, number(1));
    table.record(y, number(2));
    table.record(x, number(3));
    expect([...table.map.entries()]).toEqual([
      [x, number(1)],
      [y, number(2)],
    ]);
  });

  it("is built once: every read gives the same Map, which later records still reach", () => {
    const table = new TypeTable();
    const x = identifier("x");
    const y = identifier("y");
    table.record(x, number(1));
    const first = table.map;
    table.record(y, number(2));
    table.record(x, number(3));
    expect(table.map).toBe(first);
    expect(first.get(x)).toEqual(number(1));
    expect(first.get(y)).toEqual(number(2));
  });
});
