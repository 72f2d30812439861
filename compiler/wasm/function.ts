// One function's body as it is written: named locals, structured control flow by label name,
// and typed instruction methods. The encoding (indices, label depths, LEB128) is worked out
// here so that kernel generators speak only in names, and the operand stack is type-checked
// as each instruction is written, so a generator's mistake fails where it is made, naming the
// function and the instruction, rather than as an engine's CompileError at load time.

import { ByteWriter } from "./bytes.js";
import { plainOps, valTypeCode, type PlainOpName, type ValType } from "./opcodes.js";

/** 0, 1, ..., k - 1: the indices of code unrolled at compile time (channels, vectors of a row). */
export const range = (k: number): number[] => Array.from({ length: k }, (_, i) => i);

export interface Local {
  readonly name: string;
  readonly index: number;
  readonly type: ValType;
}

/** An imported or defined function, for `call`. */
export interface FunctionRef {
  readonly index: number;
  readonly params: readonly ValType[];
  readonly results: readonly ValType[];
}

/** An open block: its label, what it leaves on the stack, and the stack height it started at. */
interface Frame {
  label: string | null;
  results: readonly ValType[];
  height: number;
  /** After br or return: the rest of the block is not type-checked (the stack is polymorphic). */
  unreachable: boolean;
}

/** What a load or store moves: a scalar, a whole v128, or one float32 splat to every lane. */
export type MemoryType = "i32" | "f32" | "f64" | "v128";

const loadCode: Record<MemoryType, number> = { i32: 0x28, f32: 0x2a, f64: 0x2b, v128: 0x00 };
const storeCode: Record<MemoryType, number> = { i32: 0x36, f32: 0x38, f64: 0x39, v128: 0x0b };
/** log2 of the natural alignment; our buffers are float32 arrays, so v128 data is only 4-byte aligned. */
const elementAlign: Record<MemoryType, number> = { i32: 2, f32: 2, f64: 3, v128: 2 };

const SIMD_PREFIX = 0xfd;

export class FunctionBuilder {
  private readonly all: Local[] = [];
  private readonly paramCount: number;
  private readonly code = new ByteWriter();
  /** Open blocks, innermost last (the function body first): their labels give `br` its depth. */
  private readonly frames: Frame[];
  private readonly stack: ValType[] = [];

  constructor(
    readonly name: string,
    params: readonly (readonly [string, ValType])[],
    readonly results: readonly ValType[],
  ) {
    for (const [n, t] of params) this.declare(n, t);
    this.paramCount = params.length;
    this.frames = [{ label: null, results, height: 0, unreachable: false }];
  }

  private fail(what: string, message: string): never {
    throw new Error(`internal error: ${this.name}: ${what} ${message} (stack: ${this.stack.join(" ") || "empty"})`);
  }

  /** Pops the operand types an instruction takes and pushes its results. */
  private apply(what: string, params: readonly ValType[], results: readonly ValType[]): void {
    const frame = this.frames[this.frames.length - 1]!;
    if (!frame.unreachable) {
      const available = this.stack.length - frame.height;
      const top = this.stack.slice(this.stack.length - params.length);
      if (available < params.length || top.some((t, i) => t !== params[i])) this.fail(what, `takes ${params.join(" ") || "nothing"}`);
    }
    this.stack.length = Math.max(frame.height, this.stack.length - params.length);
    this.stack.push(...results);
  }

  /** The type on top of the stack (for drop and select, which take any type). */
  private top(what: string): ValType {
    const frame = this.frames[this.frames.length - 1]!;
    const t = this.stack.length > frame.height ? this.stack[this.stack.length - 1] : undefined;
    if (t === undefined) {
      if (frame.unreachable) return "i32";
      this.fail(what, "takes an operand");
    }
    return t;
  }

  /** The rest of the current block cannot be reached: its stack is anything. */
  private endReachable(): void {
    const frame = this.frames[this.frames.length - 1]!;
    this.stack.length = frame.height;
    frame.unreachable = true;
  }

  get paramTypes(): ValType[] {
    return this.all.slice(0, this.paramCount).map((l) => l.type);
  }

  private declare(name: string, type: ValType): Local {
    if (this.all.some((l) => l.name === name)) throw new Error(`internal error: ${this.name} declares local '${name}' twice`);
    const local = { name, index: this.all.length, type };
    this.all.push(local);
    return local;
  }

  /** A parameter or local declared earlier, by name. */
  ref(name: string): Local {
    const local = this.all.find((l) => l.name === name);
    if (!local) throw new Error(`internal error: ${this.name} has no local '${name}'`);
    return local;
  }

  local(name: string, type: ValType): Local {
    return this.declare(name, type);
  }

  /** The local of that name, declared on first use: for registers a generator reuses block after block. */
  reuse(name: string, type: ValType): Local {
    const found = this.all.find((l) => l.name === name);
    if (!found) return this.declare(name, type);
    if (found.type !== type) throw new Error(`internal error: ${this.name} uses local '${name}' as ${found.type} and ${type}`);
    return found;
  }

  op(name: PlainOpName): this {
    const { code, simd, params, results } = plainOps[name];
    if (name === "return") {
      this.apply(name, this.results, []);
      this.endReachable();
    } else if (name === "unreachable") {
      this.endReachable();
    } else {
      this.apply(name, params, results);
    }
    if (simd) this.code.byte(SIMD_PREFIX).u32(code);
    else this.code.byte(code);
    return this;
  }

  private simd(sub: number): this {
    this.code.byte(SIMD_PREFIX).u32(sub);
    return this;
  }

  get(local: Local): this {
    this.apply(`local.get ${local.name}`, [], [local.type]);
    this.code.byte(0x20).u32(local.index);
    return this;
  }

  set(local: Local): this {
    this.apply(`local.set ${local.name}`, [local.type], []);
    this.code.byte(0x21).u32(local.index);
    return this;
  }

  tee(local: Local): this {
    this.apply(`local.tee ${local.name}`, [local.type], [local.type]);
    this.code.byte(0x22).u32(local.index);
    return this;
  }

  drop(): this {
    this.apply("drop", [this.top("drop")], []);
    this.code.byte(0x1a);
    return this;
  }

  /** `select`: the first operand if the i32 on top is nonzero, else the second. */
  select(): this {
    this.apply("select", ["i32"], []);
    const t = this.top("select");
    this.apply("select", [t, t], [t]);
    this.code.byte(0x1b);
    return this;
  }

  call(callee: FunctionRef): this {
    this.apply(`call ${callee.index}`, callee.params, callee.results);
    this.code.byte(0x10).u32(callee.index);
    return this;
  }

  i32Const(value: number): this {
    this.apply("i32.const", [], ["i32"]);
    this.code.byte(0x41).i32(value);
    return this;
  }

  f32Const(value: number): this {
    this.apply("f32.const", [], ["f32"]);
    this.code.byte(0x43).f32(value);
    return this;
  }

  f64Const(value: number): this {
    this.apply("f64.const", [], ["f64"]);
    this.code.byte(0x44).f64(value);
    return this;
  }

  /** v128.const of four float32 lanes. */
  f32x4Const(lanes: readonly [number, number, number, number]): this {
    const bytes = new Uint8Array(Float32Array.from(lanes).buffer);
    this.apply("v128.const", [], ["v128"]);
    this.simd(0x0c).code.bytes(bytes);
    return this;
  }

  /** v128.const of four int32 lanes. */
  i32x4Const(lanes: readonly [number, number, number, number]): this {
    const bytes = new Uint8Array(Int32Array.from(lanes).buffer);
    this.apply("v128.const", [], ["v128"]);
    this.simd(0x0c).code.bytes(bytes);
    return this;
  }

  /** Load from the i32 address on the stack plus a constant byte offset. */
  load(type: MemoryType, offset = 0): this {
    this.apply(`${type}.load`, ["i32"], [type]);
    if (type === "v128") this.simd(loadCode.v128);
    else this.code.byte(loadCode[type]);
    this.code.u32(elementAlign[type]).u32(offset);
    return this;
  }

  /** Store the value on top to the i32 address below it plus a constant byte offset. */
  store(type: MemoryType, offset = 0): this {
    this.apply(`${type}.store`, ["i32", type], []);
    if (type === "v128") this.simd(storeCode.v128);
    else this.code.byte(storeCode[type]);
    this.code.u32(elementAlign[type]).u32(offset);
    return this;
  }

  /** v128.load32_splat: one float32 from memory into every lane. */
  loadSplat32(offset = 0): this {
    this.apply("v128.load32_splat", ["i32"], ["v128"]);
    this.simd(0x09).code.u32(2).u32(offset);
    return this;
  }

  f32x4ExtractLane(lane: number): this {
    this.apply("f32x4.extract_lane", ["v128"], ["f32"]);
    return this.lane(0x1f, lane);
  }

  f32x4ReplaceLane(lane: number): this {
    this.apply("f32x4.replace_lane", ["v128", "f32"], ["v128"]);
    return this.lane(0x20, lane);
  }

  f64x2ExtractLane(lane: 0 | 1): this {
    this.apply("f64x2.extract_lane", ["v128"], ["f64"]);
    return this.lane(0x21, lane);
  }

  i32x4ExtractLane(lane: number): this {
    this.apply("i32x4.extract_lane", ["v128"], ["i32"]);
    return this.lane(0x1b, lane);
  }

  i32x4ReplaceLane(lane: number): this {
    this.apply("i32x4.replace_lane", ["v128", "i32"], ["v128"]);
    return this.lane(0x1c, lane);
  }

  private lane(sub: number, lane: number): this {
    if (!Number.isInteger(lane) || lane < 0 || lane > 3) throw new Error(`internal error: lane ${lane} of a 4-lane vector`);
    this.simd(sub).code.byte(lane);
    return this;
  }

  /** i8x16.shuffle: byte i of the result is byte lanes[i] of the 32 bytes of both operands. */
  i8x16Shuffle(lanes: readonly number[]): this {
    if (lanes.length !== 16 || lanes.some((l) => !Number.isInteger(l) || l < 0 || l > 31)) {
      throw new Error("internal error: i8x16.shuffle takes 16 lane indices below 32");
    }
    this.apply("i8x16.shuffle", ["v128", "v128"], ["v128"]);
    this.simd(0x0d).code.bytes(lanes);
    return this;
  }

  /** `block $label ... end`: `br label` jumps past the end. */
  block(label: string, body: () => void, type: ValType | null = null): this {
    return this.structured(0x02, label, body, type);
  }

  /** `loop $label ... end`: `br label` jumps back to the start. */
  loop(label: string, body: () => void, type: ValType | null = null): this {
    return this.structured(0x03, label, body, type);
  }

  /** `if ... else ... end` on the i32 condition on the stack. */
  if(then: () => void, otherwise?: () => void, type: ValType | null = null): this {
    this.apply("if", ["i32"], []);
    this.code.byte(0x04).byte(type === null ? 0x40 : valTypeCode[type]);
    const results = type === null ? [] : [type];
    this.enter(null, results);
    then();
    if (otherwise) {
      this.leave("then");
      this.frames.push({ label: null, results, height: this.stack.length, unreachable: false });
      this.code.byte(0x05);
      otherwise();
    } else if (type !== null) {
      this.fail("if", "with a result needs an else");
    }
    this.leave("if");
    this.stack.push(...results);
    this.code.byte(0x0b);
    return this;
  }

  private structured(code: number, label: string, body: () => void, type: ValType | null): this {
    this.code.byte(code).byte(type === null ? 0x40 : valTypeCode[type]);
    const results = type === null ? [] : [type];
    this.enter(code === 0x03 ? `loop:${label}` : label, results);
    body();
    this.leave(label);
    this.stack.push(...results);
    this.code.byte(0x0b);
    return this;
  }

  private enter(label: string | null, results: readonly ValType[]): void {
    this.frames.push({ label, results, height: this.stack.length, unreachable: false });
  }

  /** Checks that the block leaves exactly its results, and closes it. */
  private leave(what: string): void {
    const frame = this.frames.pop()!;
    const left = this.stack.slice(frame.height);
    if (!frame.unreachable && (left.length !== frame.results.length || left.some((t, i) => t !== frame.results[i]))) {
      this.frames.push(frame);
      this.fail(`block ${what}`, `must end with ${frame.results.join(" ") || "nothing"} on its stack`);
    }
    this.stack.length = frame.height;
  }

  private depth(label: string): number {
    for (let i = this.frames.length - 1; i > 0; i--) {
      const l = this.frames[i]!.label;
      if (l === label || l === `loop:${label}`) return this.frames.length - 1 - i;
    }
    throw new Error(`internal error: ${this.name} branches to '${label}' outside its block`);
  }

  /** What a branch to the label carries: a loop's parameters (none here) or a block's results. */
  private branchTypes(label: string): readonly ValType[] {
    const frame = this.frames[this.frames.length - 1 - this.depth(label)]!;
    return frame.label?.startsWith("loop:") ? [] : frame.results;
  }

  br(label: string): this {
    const types = this.branchTypes(label);
    this.code.byte(0x0c).u32(this.depth(label));
    this.apply(`br ${label}`, types, []);
    this.endReachable();
    return this;
  }

  brIf(label: string): this {
    const types = this.branchTypes(label);
    this.code.byte(0x0d).u32(this.depth(label));
    this.apply(`br_if ${label}`, [...types, "i32"], types);
    return this;
  }

  /**
   * `for (i = from; i < to; i += step) body`, compared unsigned (counters and byte addresses
   * are never negative); the body runs zero times when from >= to, and `to` is read again
   * after every step.
   */
  forLoop(counter: Local, from: () => void, to: () => void, step: number, label: string, body: () => void): this {
    from();
    this.set(counter);
    return this.block(`${label}_exit`, () => {
      this.get(counter);
      to();
      this.op("i32.ge_u").brIf(`${label}_exit`);
      this.loop(label, () => {
        body();
        this.get(counter).i32Const(step).op("i32.add").tee(counter);
        to();
        this.op("i32.lt_u").brIf(label);
      });
    });
  }

  /** The code section entry: locals grouped in runs of one type, then the instructions. */
  encodeBody(): Uint8Array {
    if (this.frames.length !== 1) throw new Error(`internal error: ${this.name} ends inside a block`);
    const frame = this.frames[0]!;
    const left = this.stack.slice();
    if (!frame.unreachable && (left.length !== this.results.length || left.some((t, i) => t !== this.results[i]))) {
      this.fail("the function", `must end with ${this.results.join(" ") || "nothing"} on its stack`);
    }
    const body = new ByteWriter();
    const runs: { type: ValType; count: number }[] = [];
    for (const l of this.all.slice(this.paramCount)) {
      const last = runs[runs.length - 1];
      if (last && last.type === l.type) last.count++;
      else runs.push({ type: l.type, count: 1 });
    }
    body.u32(runs.length);
    for (const r of runs) body.u32(r.count).byte(valTypeCode[r.type]);
    body.bytes(this.code.finish()).byte(0x0b);
    return body.finish();
  }
}
