// The instructions without immediates, by their name in the WebAssembly text format, with
// their encoding and stack signature. Keyed by the text name so that a test can write the
// same instruction in WAT and compare wabt's bytes with ours, entry by entry.

export type ValType = "i32" | "i64" | "f32" | "f64" | "v128";

export const valTypeCode: Record<ValType, number> = { i32: 0x7f, i64: 0x7e, f32: 0x7d, f64: 0x7c, v128: 0x7b };

export interface PlainOp {
  /** The opcode; SIMD instructions are 0xfd followed by a LEB128 sub-opcode. */
  code: number;
  simd: boolean;
  params: readonly ValType[];
  results: readonly ValType[];
}

function op(code: number, params: readonly ValType[], results: readonly ValType[]): PlainOp {
  return { code, simd: false, params, results };
}

function simd(code: number, params: readonly ValType[], results: readonly ValType[]): PlainOp {
  return { code, simd: true, params, results };
}

const ii_i = ["i32", "i32"] as const;
const ff_f = ["f32", "f32"] as const;
const dd_d = ["f64", "f64"] as const;
const vv = ["v128", "v128"] as const;
const v = ["v128"] as const;
const i = ["i32"] as const;
const f = ["f32"] as const;
const d = ["f64"] as const;

export const plainOps = {
  unreachable: op(0x00, [], []),
  nop: op(0x01, [], []),
  return: op(0x0f, [], []),
  "i32.eqz": op(0x45, i, i),
  "i32.eq": op(0x46, ii_i, i),
  "i32.ne": op(0x47, ii_i, i),
  "i32.lt_s": op(0x48, ii_i, i),
  "i32.lt_u": op(0x49, ii_i, i),
  "i32.gt_s": op(0x4a, ii_i, i),
  "i32.gt_u": op(0x4b, ii_i, i),
  "i32.le_s": op(0x4c, ii_i, i),
  "i32.le_u": op(0x4d, ii_i, i),
  "i32.ge_s": op(0x4e, ii_i, i),
  "i32.ge_u": op(0x4f, ii_i, i),
  "f32.eq": op(0x5b, ff_f, i),
  "f32.ne": op(0x5c, ff_f, i),
  "f32.lt": op(0x5d, ff_f, i),
  "f32.gt": op(0x5e, ff_f, i),
  "f32.le": op(0x5f, ff_f, i),
  "f32.ge": op(0x60, ff_f, i),
  "f64.eq": op(0x61, dd_d, i),
  "f64.lt": op(0x63, dd_d, i),
  "f64.gt": op(0x64, dd_d, i),
  "i32.add": op(0x6a, ii_i, i),
  "i32.sub": op(0x6b, ii_i, i),
  "i32.mul": op(0x6c, ii_i, i),
  "i32.div_s": op(0x6d, ii_i, i),
  "i32.div_u": op(0x6e, ii_i, i),
  "i32.rem_s": op(0x6f, ii_i, i),
  "i32.rem_u": op(0x70, ii_i, i),
  "i32.and": op(0x71, ii_i, i),
  "i32.or": op(0x72, ii_i, i),
  "i32.xor": op(0x73, ii_i, i),
  "i32.shl": op(0x74, ii_i, i),
  "i32.shr_s": op(0x75, ii_i, i),
  "i32.shr_u": op(0x76, ii_i, i),
  "f32.abs": op(0x8b, f, f),
  "f32.neg": op(0x8c, f, f),
  "f32.ceil": op(0x8d, f, f),
  "f32.floor": op(0x8e, f, f),
  "f32.nearest": op(0x90, f, f),
  "f32.sqrt": op(0x91, f, f),
  "f32.add": op(0x92, ff_f, f),
  "f32.sub": op(0x93, ff_f, f),
  "f32.mul": op(0x94, ff_f, f),
  "f32.div": op(0x95, ff_f, f),
  "f32.min": op(0x96, ff_f, f),
  "f32.max": op(0x97, ff_f, f),
  "f64.abs": op(0x99, d, d),
  "f64.neg": op(0x9a, d, d),
  "f64.sqrt": op(0x9f, d, d),
  "f64.add": op(0xa0, dd_d, d),
  "f64.sub": op(0xa1, dd_d, d),
  "f64.mul": op(0xa2, dd_d, d),
  "f64.div": op(0xa3, dd_d, d),
  "f64.min": op(0xa4, dd_d, d),
  "f64.max": op(0xa5, dd_d, d),
  "i32.trunc_f32_s": op(0xa8, f, i),
  "f32.convert_i32_s": op(0xb2, i, f),
  "f32.demote_f64": op(0xb6, d, f),
  "f64.convert_i32_s": op(0xb7, i, d),
  "f64.promote_f32": op(0xbb, f, d),
  "i32.reinterpret_f32": op(0xbc, f, i),
  "f32.reinterpret_i32": op(0xbe, i, f),

  "i32x4.splat": simd(0x11, i, v),
  "f32x4.splat": simd(0x13, f, v),
  "f64x2.splat": simd(0x14, d, v),
  "i32x4.eq": simd(0x37, vv, v),
  "i32x4.ne": simd(0x38, vv, v),
  "i32x4.lt_s": simd(0x39, vv, v),
  "i32x4.gt_s": simd(0x3b, vv, v),
  "f32x4.eq": simd(0x41, vv, v),
  "f32x4.ne": simd(0x42, vv, v),
  "f32x4.lt": simd(0x43, vv, v),
  "f32x4.gt": simd(0x44, vv, v),
  "f64x2.gt": simd(0x4a, vv, v),
  "f32x4.le": simd(0x45, vv, v),
  "f32x4.ge": simd(0x46, vv, v),
  "v128.not": simd(0x4d, v, v),
  "v128.and": simd(0x4e, vv, v),
  "v128.andnot": simd(0x4f, vv, v),
  "v128.or": simd(0x50, vv, v),
  "v128.xor": simd(0x51, vv, v),
  "v128.bitselect": simd(0x52, ["v128", "v128", "v128"], v),
  "v128.any_true": simd(0x53, v, i),
  "f32x4.demote_f64x2_zero": simd(0x5e, v, v),
  "f64x2.promote_low_f32x4": simd(0x5f, v, v),
  "f32x4.ceil": simd(0x67, v, v),
  "f32x4.floor": simd(0x68, v, v),
  "f32x4.trunc": simd(0x69, v, v),
  "f32x4.nearest": simd(0x6a, v, v),
  "i32x4.all_true": simd(0xa3, v, i),
  "i32x4.shl": simd(0xab, ["v128", "i32"], v),
  "i32x4.shr_s": simd(0xac, ["v128", "i32"], v),
  "i32x4.shr_u": simd(0xad, ["v128", "i32"], v),
  "i32x4.add": simd(0xae, vv, v),
  "i32x4.sub": simd(0xb1, vv, v),
  "i32x4.mul": simd(0xb5, vv, v),
  "i32x4.min_s": simd(0xb6, vv, v),
  "i32x4.max_s": simd(0xb8, vv, v),
  "f32x4.abs": simd(0xe0, v, v),
  "f32x4.neg": simd(0xe1, v, v),
  "f32x4.sqrt": simd(0xe3, v, v),
  "f32x4.add": simd(0xe4, vv, v),
  "f32x4.sub": simd(0xe5, vv, v),
  "f32x4.mul": simd(0xe6, vv, v),
  "f32x4.div": simd(0xe7, vv, v),
  "f32x4.min": simd(0xe8, vv, v),
  "f32x4.max": simd(0xe9, vv, v),
  "f32x4.pmin": simd(0xea, vv, v),
  "f32x4.pmax": simd(0xeb, vv, v),
  "f64x2.abs": simd(0xec, v, v),
  "f64x2.add": simd(0xf0, vv, v),
  "f64x2.sub": simd(0xf1, vv, v),
  "f64x2.mul": simd(0xf2, vv, v),
  "f64x2.div": simd(0xf3, vv, v),
  "i32x4.trunc_sat_f32x4_s": simd(0xf8, v, v),
  "f32x4.convert_i32x4_s": simd(0xfa, v, v),
} as const satisfies Record<string, PlainOp>;

export type PlainOpName = keyof typeof plainOps;
