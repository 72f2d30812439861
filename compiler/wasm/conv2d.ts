// conv2d's WebAssembly kernels (../ir/ops/conv2d.ts is the JavaScript twin and defines the
// layout and the geometry): im2col into the scratch s0, then dense's products over its rows
// (an im2col row is one receptive field, a weight row [kh, kw, in] lines up with it). The
// backward pass is dense's over the same rows (relu, db, dW = gy^T im2col, and the gradient of
// im2col = gy W into the scratch s1), then col2im adds it back into the input's gradient.

import type { ConvGeometry } from "../ir/ops/conv2d.js";
import { overChunks, PARTIAL_SAMPLES } from "./chunks.js";
import type { WeightBlocks } from "./weight-blocks.js";
import { defaultDenseBlocks, denseBackwardBody, type BackwardPart, type DenseGradients, type DenseKernelShape } from "./dense.js";
import { mapLanes } from "./elementwise.js";
import type { FunctionBuilder, Local } from "./function.js";
import type { ModuleBuilder } from "./module.js";
import { dotProduct, type Store } from "./products.js";

const F32 = 4;

export interface ConvKernelShape {
  geometry: ConvGeometry;
  bias: boolean;
  activation: "identity" | "relu";
}

export function asDense(shape: ConvKernelShape): DenseKernelShape {
  const g = shape.geometry;
  return { rowsPerSample: g.oh * g.ow, inWidth: g.patch, out: g.filters, bias: shape.bias, activation: shape.activation };
}

/** Where a window lies wholly inside the input, its kernel offsets are unrolled up to this many vector moves. */
const INTERIOR_UNROLLED = 512;

/**
 * For every (sample, output position, kernel offset) in im2col order, `body(inside, src,
 * srcOffset, qOffset)` moves c floats between the input pixel at byte address src + srcOffset
 * of `x` and the im2col entry at q + qOffset. `inside` is an i32 local, 1 where the pixel is
 * over the input and 0 over the padding (src is then not an address); it is null in a window
 * wholly inside the input, whose kernel offsets are then unrolled with constant offsets: most
 * windows are, and the general loop's index arithmetic and bounds test per pixel cost more
 * than the move itself when c is small (the first layer's single channel).
 */
function overPatches(
  f: FunctionBuilder,
  g: ConvGeometry,
  x: Local,
  count: Local,
  q: Local,
  body: (inside: Local | null, src: Local, srcOffset: number, qOffset: number) => void,
): void {
  const sampleBytes = g.h * g.w * g.c * F32;
  const pixelBytes = g.c * F32;
  const unroll = g.kh * g.kw * Math.ceil(g.c / 4) <= INTERIOR_UNROLLED;
  const sample = f.local("patch_sample", "i32");
  const end = f.local("patch_end", "i32");
  const oy = f.local("patch_oy", "i32");
  const ox = f.local("patch_ox", "i32");
  const ky = f.local("patch_ky", "i32");
  const kx = f.local("patch_kx", "i32");
  const iy = f.local("patch_iy", "i32");
  const ix = f.local("patch_ix", "i32");
  const iy0 = f.local("patch_iy0", "i32");
  const ix0 = f.local("patch_ix0", "i32");
  const inside = f.local("patch_inside", "i32");
  const src = f.local("patch_src", "i32");
  const general = () => {
    f.forLoop(ky, () => f.i32Const(0), () => f.i32Const(g.kh), 1, "patch_ky_loop", () => {
      f.get(iy0).get(ky).op("i32.add").set(iy);
      f.forLoop(kx, () => f.i32Const(0), () => f.i32Const(g.kw), 1, "patch_kx_loop", () => {
        f.get(ix0).get(kx).op("i32.add").set(ix);
        f.get(iy).i32Const(0).op("i32.ge_s").get(iy).i32Const(g.h).op("i32.lt_s").op("i32.and");
        f.get(ix).i32Const(0).op("i32.ge_s").op("i32.and").get(ix).i32Const(g.w).op("i32.lt_s").op("i32.and").set(inside);
        f.get(iy).i32Const(g.w).op("i32.mul").get(ix).op("i32.add").i32Const(pixelBytes).op("i32.mul").get(sample).op("i32.add").set(src);
        body(inside, src, 0, 0);
        f.get(q).i32Const(pixelBytes).op("i32.add").set(q);
      });
    });
  };
  const interior = () => {
    f.get(iy0).i32Const(g.w).op("i32.mul").get(ix0).op("i32.add").i32Const(pixelBytes).op("i32.mul").get(sample).op("i32.add").set(src);
    for (let a = 0; a < g.kh; a++) {
      for (let b = 0; b < g.kw; b++) body(null, src, (a * g.w + b) * pixelBytes, (a * g.kw + b) * pixelBytes);
    }
    f.get(q).i32Const(g.kh * g.kw * pixelBytes).op("i32.add").set(q);
  };
  f.get(count).i32Const(sampleBytes).op("i32.mul").get(x).op("i32.add").set(end);
  f.forLoop(sample, () => f.get(x), () => f.get(end), sampleBytes, "patch_samples", () => {
    f.forLoop(oy, () => f.i32Const(0), () => f.i32Const(g.oh), 1, "patch_rows", () => {
      f.get(oy).i32Const(g.sh).op("i32.mul").i32Const(g.padTop).op("i32.sub").set(iy0);
      f.forLoop(ox, () => f.i32Const(0), () => f.i32Const(g.ow), 1, "patch_cols", () => {
        f.get(ox).i32Const(g.sw).op("i32.mul").i32Const(g.padLeft).op("i32.sub").set(ix0);
        if (!unroll) return general();
        f.get(iy0).i32Const(0).op("i32.ge_s").get(iy0).i32Const(g.h - g.kh).op("i32.le_s").op("i32.and");
        f.get(ix0).i32Const(0).op("i32.ge_s").op("i32.and").get(ix0).i32Const(g.w - g.kw).op("i32.le_s").op("i32.and");
        f.if(interior, general);
      });
    });
  });
}

/** `c` channels from `from` + `fromOffset` to `to` + `toOffset` (bytes), four at a time where they fit; `add` adds into `to`. */
function channels(f: FunctionBuilder, c: number, from: Local, fromOffset: number, to: Local, toOffset: number, add: boolean): void {
  for (let ch = 0; ch < c; ch += ch + 4 <= c ? 4 : 1) {
    const vector = ch + 4 <= c;
    const type = vector ? "v128" : "f32";
    f.get(to);
    if (add) f.get(to).load(type, toOffset + ch * F32);
    f.get(from).load(type, fromOffset + ch * F32);
    if (add) f.op(vector ? "f32x4.add" : "f32.add");
    f.store(type, toOffset + ch * F32);
  }
}

function zeros(f: FunctionBuilder, c: number, to: Local): void {
  for (let ch = 0; ch < c; ch += ch + 4 <= c ? 4 : 1) {
    if (ch + 4 <= c) f.get(to).i32x4Const([0, 0, 0, 0]).store("v128", ch * F32);
    else f.get(to).f32Const(0).store("f32", ch * F32);
  }
}

/**
 * Samples per chunk of the forward pass: whose im2col rows stay in a 512 KB L2 cache while the
 * product reads them back, so that im2col's writes are not evicted before they are read.
 */
export function convChunkSamples(g: ConvGeometry): number {
  return Math.max(1, Math.floor((128 * 1024) / (g.oh * g.ow * g.patch * F32)));
}

/** `name(n, x0, x1[, x2], y, s0)`: im2col, then y = im2col W^T + b (relu fused), a chunk of samples at a time. */
export function convForward(m: ModuleBuilder, name: string, shape: ConvKernelShape): string[] {
  const g = shape.geometry;
  const params = ["n", "x0", "x1", ...(shape.bias ? ["x2"] : []), "y", "s0"];
  const f = m.function(name, params.map((p) => [p, "i32"] as const));
  const q = f.local("q", "i32");
  const rows = f.local("rows", "i32");
  const [x, y, s] = [f.local("x_chunk", "i32"), f.local("y_chunk", "i32"), f.local("s0_chunk", "i32")];
  const rowsPerSample = g.oh * g.ow;
  const pointers = [
    { local: x, from: f.ref("x0"), bytes: g.h * g.w * g.c * F32 },
    { local: y, from: f.ref("y"), bytes: rowsPerSample * g.filters * F32 },
    { local: s, from: f.ref("s0"), bytes: rowsPerSample * g.patch * F32 },
  ];
  overChunks(f, convChunkSamples(g), pointers, (count) => {
    f.get(s).set(q);
    overPatches(f, g, x, count, q, (inside, src, srcOffset, qOffset) => {
      if (inside === null) return channels(f, g.c, src, srcOffset, q, qOffset, false);
      f.get(inside).if(
        () => channels(f, g.c, src, 0, q, 0, false),
        () => zeros(f, g.c, q),
      );
    });
    f.get(count).i32Const(rowsPerSample).op("i32.mul").set(rows);
    const blocks = defaultDenseBlocks.forward;
    dotProduct(f, "fw", {
      rows,
      cols: g.filters,
      depth: g.patch,
      a: s,
      b: f.ref("x1"),
      c: y,
      bias: shape.bias ? f.ref("x2") : null,
      relu: shape.activation === "relu",
      blockRows: blocks.rows,
      blockCols: blocks.cols,
    });
  });
  return params;
}

/** Which gradients the backward kernel writes: the input's, the weight's, the bias's. */
export interface ConvGradients {
  x: Store | null;
  w: Store | null;
  b: Store | null;
}

/** The parameters of one part of the backward kernel, in order (dense.ts's parts: rows then units). */
export function convBackwardParams(shape: ConvKernelShape, grads: ConvGradients, part: BackwardPart): string[] {
  const relu = shape.activation === "relu";
  return part === "rows"
    ? ["n", ...(grads.x ? ["x1"] : []), ...(relu ? ["y"] : []), "gy", ...(grads.x ? ["s1", "gx0"] : [])]
    : ["n", "from", "to", ...(grads.w ? ["s0"] : []), "gy", ...(grads.w ? ["gx1"] : []), ...(grads.b ? ["gx2"] : [])];
}

/**
 * One part of the backward kernel: rows (relu, the im2col gradient s1 = gy W, then col2im into
 * the input's gradient, all per sample) or units (db, dW = gy^T im2col over the units from..to).
 */
export function convBackward(m: ModuleBuilder, name: string, shape: ConvKernelShape, grads: ConvGradients, part: BackwardPart): string[] {
  const g = shape.geometry;
  const params = convBackwardParams(shape, grads, part);
  const f = m.function(name, params.map((p) => [p, "i32"] as const));
  const ref = (p: string): Local | null => (params.includes(p) ? f.ref(p) : null);
  // The gradient of im2col is written whole (`=`); col2im then adds it into the input's.
  const dense: DenseGradients = { x: grads.x ? "assign" : null, w: grads.w, b: grads.b };
  const refs = { x: ref("s0"), w: ref("x1"), y: ref("y"), gy: f.ref("gy"), gx: ref("s1"), gw: ref("gx1"), gb: ref("gx2") };
  if (part === "units") {
    denseBackwardBody(f, asDense(shape), dense, refs, { from: f.ref("from"), to: f.ref("to") });
    return params;
  }
  if (!grads.x) {
    // Only the relu in place on gy.
    denseBackwardBody(f, asDense(shape), dense, refs, "rows");
    return params;
  }
  // A chunk of samples at a time, as the forward pass: the im2col gradient s1 = gy W is read
  // back by col2im while it is still in cache.
  const rowsPerSample = g.oh * g.ow;
  const inputFloats = g.h * g.w * g.c;
  const [gy, y, s1, gx] = [f.local("gy_chunk", "i32"), f.local("y_chunk", "i32"), f.local("s1_chunk", "i32"), f.local("gx_chunk", "i32")];
  const relu = shape.activation === "relu";
  const pointers = [
    { local: gy, from: f.ref("gy"), bytes: rowsPerSample * g.filters * F32 },
    ...(relu ? [{ local: y, from: f.ref("y"), bytes: rowsPerSample * g.filters * F32 }] : []),
    { local: s1, from: f.ref("s1"), bytes: rowsPerSample * g.patch * F32 },
    { local: gx, from: f.ref("gx0"), bytes: inputFloats * F32 },
  ];
  const rows = f.local("rows", "i32");
  const q = f.local("q", "i32");
  overChunks(f, convChunkSamples(g), pointers, (count) => {
    f.get(count).i32Const(rowsPerSample).op("i32.mul").set(rows);
    denseBackwardBody(f, asDense(shape), dense, { ...refs, y: relu ? y : null, gy, gx: s1, x: null, gw: null, gb: null }, "rows", undefined, rows);
    if (grads.x === "assign") {
      const floats = f.local("input_floats", "i32");
      f.get(count).i32Const(inputFloats).op("i32.mul").set(floats);
      mapLanes(f, "zero", floats, [], gx, () => f.i32x4Const([0, 0, 0, 0]));
    }
    f.get(s1).set(q);
    // src is an address in gx here: overPatches walks it as it walks x in the forward pass.
    overPatches(f, g, gx, count, q, (inside, src, srcOffset, qOffset) => {
      if (inside === null) return channels(f, g.c, q, qOffset, src, srcOffset, true);
      f.get(inside).if(() => channels(f, g.c, q, 0, src, 0, true));
    });
  });
  return params;
}

// The weight gradient by blocks of samples (weight-blocks.ts): split by output units, every
// thread read the whole batch's im2col rows and gy, half of them written by the other core in
// the passes before, and the second convolution of mnist_cnn ran 1.0-1.3x as fast on two
// threads as on one, where alone it splits 1.9x.

/** conv2d's blocks: of PARTIAL_SAMPLES samples, summing gy against the im2col rows (s0) into s3. */
export const CONV_WEIGHT_BLOCKS: WeightBlocks = { samples: PARTIAL_SAMPLES, x: "s0", partials: "s3" };

/**
 * Whether the weight gradient goes by blocks of samples: where a block's partial sums are at
 * most a quarter of its im2col rows (filters <= output positions), so that they cost little
 * memory and adding them up little time. Deep layers of many filters over few positions keep
 * the split by units.
 */
export function convWeightByBlocks(g: ConvGeometry): boolean {
  return g.filters <= g.oh * g.ow;
}
