import { describe, expect, it } from "vitest";
import { ByteWriter } from "../../../compiler/wasm/bytes.js";
import { ModuleBuilder } from "../../../compiler/wasm/module.js";
import { plainOps, type PlainOpName } from "../../../compiler/wasm/opcodes.js";
import { isValidWasm } from "../../../runtime/wasm.js";
import { firstDifference, wabtValidate, watToBytes } from "./wabt.js";

const hex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join(" ");

describe("LEB128", () => {
  it("encodes unsigned and signed values as the spec's examples", () => {
    expect(hex(new ByteWriter().u32(0).finish())).toBe("00");
    expect(hex(new ByteWriter().u32(127).finish())).toBe("7f");
    expect(hex(new ByteWriter().u32(128).finish())).toBe("80 01");
    expect(hex(new ByteWriter().u32(624485).finish())).toBe("e5 8e 26");
    expect(hex(new ByteWriter().u32(0xffffffff).finish())).toBe("ff ff ff ff 0f");
    expect(hex(new ByteWriter().i32(-1).finish())).toBe("7f");
    expect(hex(new ByteWriter().i32(63).finish())).toBe("3f");
    expect(hex(new ByteWriter().i32(64).finish())).toBe("c0 00");
    expect(hex(new ByteWriter().i32(-64).finish())).toBe("40");
    expect(hex(new ByteWriter().i32(-65).finish())).toBe("bf 7f");
    expect(hex(new ByteWriter().i32(-123456).finish())).toBe("c0 bb 78");
    expect(hex(new ByteWriter().i32(-0x80000000).finish())).toBe("80 80 80 80 78");
    expect(() => new ByteWriter().u32(-1)).toThrow(/not a u32/);
  });
});

describe("every instruction without immediates", () => {
  const names = Object.keys(plainOps) as PlainOpName[];
  it.each(names)("%s encodes as wabt does", async (name) => {
    const { params, results } = plainOps[name];
    const m = new ModuleBuilder();
    const f = m.function("f", params.map((t, i) => [`p${i}`, t] as const), results);
    params.forEach((_, i) => f.get(f.ref(`p${i}`)));
    f.op(name);
    const wat = [
      `(module (func (export "f")`,
      params.length ? `(param ${params.join(" ")})` : "",
      results.length ? `(result ${results.join(" ")})` : "",
      ...params.map((_, i) => `local.get ${i}`),
      name,
      "))",
    ].join(" ");
    const ours = m.toBytes();
    expect(firstDifference(ours, await watToBytes(wat))).toBeNull();
    expect(isValidWasm(ours)).toBe(true);
  });
});

describe("a module with imports, locals, control flow, memory access and SIMD", () => {
  function build(): Uint8Array {
    const m = new ModuleBuilder();
    const log = m.importFunction("env", "log", ["f64"], []);
    m.importMemory({ module: "env", name: "memory", minimumPages: 1, maximumPages: 16, shared: true });
    const f = m.function("kernel", [["n", "i32"], ["x", "i32"], ["y", "i32"]], ["f32"]);
    const n = f.ref("n");
    const x = f.ref("x");
    const y = f.ref("y");
    const i = f.local("i", "i32");
    const acc = f.local("acc", "v128");
    const s = f.local("s", "f32");
    const t = f.local("t", "f32");
    const d = f.local("d", "f64");
    f.f32x4Const([0, 1.5, -2, 3.25]).set(acc);
    f.i32Const(0).set(i);
    f.block("done", () => {
      f.get(n).op("i32.eqz").brIf("done");
      f.loop("next", () => {
        f.get(acc);
        f.get(x).load("v128", 16);
        f.op("f32x4.add");
        f.get(y).loadSplat32(4);
        f.op("f32x4.mul").set(acc);
        f.get(x).get(acc).store("v128", 32);
        f.get(i).i32Const(1).op("i32.add").tee(i).get(n).op("i32.lt_s").brIf("next");
      });
    });
    f.get(acc).f32x4ExtractLane(2).set(s);
    f.get(acc).get(s).f32x4ReplaceLane(0).set(acc);
    f.get(acc).i32x4Const([1, -1, 0x7fffffff, -0x80000000]).op("v128.and").i32x4ExtractLane(3).set(i);
    f.get(acc).get(acc).i8x16Shuffle([0, 1, 2, 3, 20, 21, 22, 23, 8, 9, 10, 11, 28, 29, 30, 31]).set(acc);
    f.get(acc).get(acc).get(acc).get(acc).op("f32x4.lt").op("v128.bitselect").set(acc);
    f.get(y).load("f64", 8).set(d);
    f.get(d).call(log);
    f.get(y).get(d).f64Const(-0.1).op("f64.mul").store("f64", 1024);
    f.get(y).load("i32", 65536).set(i);
    f.get(s).f32Const(0).op("f32.gt");
    f.if(
      () => {
        f.get(s).f32Const(3.4028234663852886e38).op("f32.min").set(t);
      },
      () => {
        f.f32Const(-0).set(t);
      },
    );
    f.get(y).get(t).store("f32");
    f.get(i).i32Const(4000000000).op("i32.and").drop();
    f.get(t);
    const g = m.function("helper", [["a", "f32"]], ["f32"], false);
    g.get(g.ref("a")).op("f32.sqrt");
    m.data(8, new Uint8Array([1, 2, 3]));
    return m.toBytes();
  }

  const wat = `(module
    (import "env" "log" (func (param f64)))
    (import "env" "memory" (memory 1 16 shared))
    (func (export "kernel") (param i32 i32 i32) (result f32)
      (local i32 v128 f32 f32 f64)
      v128.const f32x4 0 1.5 -2 3.25
      local.set 4
      i32.const 0
      local.set 3
      block
        local.get 0
        i32.eqz
        br_if 0
        loop
          local.get 4
          local.get 1
          v128.load offset=16 align=4
          f32x4.add
          local.get 2
          v128.load32_splat offset=4
          f32x4.mul
          local.set 4
          local.get 1
          local.get 4
          v128.store offset=32 align=4
          local.get 3
          i32.const 1
          i32.add
          local.tee 3
          local.get 0
          i32.lt_s
          br_if 0
        end
      end
      local.get 4
      f32x4.extract_lane 2
      local.set 5
      local.get 4
      local.get 5
      f32x4.replace_lane 0
      local.set 4
      local.get 4
      v128.const i32x4 1 -1 0x7fffffff 0x80000000
      v128.and
      i32x4.extract_lane 3
      local.set 3
      local.get 4
      local.get 4
      i8x16.shuffle 0 1 2 3 20 21 22 23 8 9 10 11 28 29 30 31
      local.set 4
      local.get 4
      local.get 4
      local.get 4
      local.get 4
      f32x4.lt
      v128.bitselect
      local.set 4
      local.get 2
      f64.load offset=8
      local.set 7
      local.get 7
      call 0
      local.get 2
      local.get 7
      f64.const -0.1
      f64.mul
      f64.store offset=1024
      local.get 2
      i32.load offset=65536
      local.set 3
      local.get 5
      f32.const 0
      f32.gt
      if
        local.get 5
        f32.const 0x1.fffffep+127
        f32.min
        local.set 6
      else
        f32.const -0
        local.set 6
      end
      local.get 2
      local.get 6
      f32.store
      local.get 3
      i32.const 4000000000
      i32.and
      drop
      local.get 6)
    (func (param f32) (result f32) local.get 0 f32.sqrt)
    (data (i32.const 8) "\\01\\02\\03"))`;

  it("is byte for byte what wabt writes for the same module in WAT", async () => {
    const ours = build();
    expect(firstDifference(ours, await watToBytes(wat))).toBeNull();
  });

  it("validates in wabt (SIMD and threads) and in this engine", async () => {
    const ours = build();
    await expect(wabtValidate(ours)).resolves.toBeUndefined();
    expect(isValidWasm(ours)).toBe(true);
  });

  it("type-checks the operand stack as instructions are written, naming the function and the instruction", () => {
    const m = new ModuleBuilder();
    const f = m.function("k", [["a", "i32"], ["v", "v128"]], ["f32"]);
    expect(() => f.get(f.ref("a")).op("f32x4.add")).toThrow("internal error: k: f32x4.add takes v128 v128 (stack: i32)");
    const g = m.function("g", [["a", "i32"]], ["f32"]);
    expect(() => g.block("b", () => g.get(g.ref("a")))).toThrow(/g: block b must end with nothing on its stack \(stack: i32\)/);
    const h = m.function("h", [["a", "i32"]], ["f32"]);
    h.get(h.ref("a"));
    expect(() => h.encodeBody()).toThrow(/h: the function must end with f32 on its stack \(stack: i32\)/);
    // After br the rest of a block is unreachable and anything goes, as in the spec.
    const u = m.function("u", [], []);
    u.block("b", () => {
      u.br("b");
      u.op("f32x4.add").op("v128.any_true").drop();
    });
    expect(() => u.encodeBody()).not.toThrow();
    const c = m.function("c", [["x", "f32"]], ["f32"]);
    c.get(c.ref("x")).get(c.ref("x")).i32Const(1).select();
    expect(() => c.encodeBody()).not.toThrow();
    const d = m.function("d", [["x", "f32"]], ["f32"]);
    expect(() => d.get(d.ref("x")).i32Const(1).i32Const(0).select()).toThrow("d: select takes i32 i32 (stack: f32 i32)");
  });

  it("names a branch to a label outside its blocks and a local declared twice", () => {
    const m = new ModuleBuilder();
    const f = m.function("f", [["a", "i32"]]);
    expect(() => f.local("a", "f32")).toThrow(/declares local 'a' twice/);
    expect(() => f.block("b", () => f.br("elsewhere"))).toThrow(/branches to 'elsewhere'/);
  });
});
