// Reading the tensors of a `torch.save` file (a zip holding `data.pkl` and one raw file per
// storage) without running pickle code: a small pickle machine that knows the opcodes
// torch.save writes and builds only what a state_dict needs (dicts, tuples, numbers,
// strings, tensors). Any other global a pickle names (`os.system`, a user's class) is
// refused, as PyTorch's own `weights_only` loader does.

import type { SafeTensor, SafetensorsDType } from "../../runtime/safetensors.js";

export class TorchFileError extends Error {
  override readonly name = "TorchFileError";
}

interface ZipEntry {
  name: string;
  data: Uint8Array;
}

/** The stored (uncompressed) entries of a zip archive, as torch.save writes them. */
function readZip(bytes: Uint8Array): Map<string, ZipEntry> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let eocd = -1;
  for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 22 - 65535); i--) {
    if (view.getUint32(i, true) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new TorchFileError("not a zip archive (no end of central directory)");
  const count = view.getUint16(eocd + 10, true);
  let at = view.getUint32(eocd + 16, true);
  const entries = new Map<string, ZipEntry>();
  const decoder = new TextDecoder();
  for (let i = 0; i < count; i++) {
    if (at + 46 > bytes.length || view.getUint32(at, true) !== 0x02014b50) throw new TorchFileError("corrupt zip central directory");
    const method = view.getUint16(at + 10, true);
    const size = view.getUint32(at + 20, true);
    const nameLength = view.getUint16(at + 28, true);
    const extra = view.getUint16(at + 30, true);
    const comment = view.getUint16(at + 32, true);
    const local = view.getUint32(at + 42, true);
    const name = decoder.decode(bytes.subarray(at + 46, at + 46 + nameLength));
    at += 46 + nameLength + extra + comment;
    if (size === 0xffffffff || local === 0xffffffff) throw new TorchFileError(`'${name}' needs ZIP64 (over 4 GB), which this reader does not handle`);
    if (method !== 0) throw new TorchFileError(`'${name}' is compressed (method ${method}); torch.save stores entries uncompressed`);
    if (local + 30 > bytes.length) throw new TorchFileError(`'${name}' lies past the end of the file`);
    const start = local + 30 + view.getUint16(local + 26, true) + view.getUint16(local + 28, true);
    if (start + size > bytes.length) throw new TorchFileError(`'${name}' runs past the end of the file`);
    entries.set(name, { name, data: bytes.subarray(start, start + size) });
  }
  return entries;
}

const STORAGES: Record<string, { dtype: SafetensorsDType; size: number }> = {
  FloatStorage: { dtype: "F32", size: 4 },
  DoubleStorage: { dtype: "F64", size: 8 },
  HalfStorage: { dtype: "F16", size: 2 },
  BFloat16Storage: { dtype: "BF16", size: 2 },
  LongStorage: { dtype: "I64", size: 8 },
  IntStorage: { dtype: "I32", size: 4 },
};

type Value =
  | null
  | boolean
  | number
  | bigint
  | string
  | Value[]
  | { kind: "tuple"; items: Value[] }
  | { kind: "dict"; map: Map<string, Value> }
  | { kind: "global"; name: string }
  | { kind: "storage"; dtype: SafetensorsDType; size: number; key: string }
  | { kind: "tensor"; tensor: Omit<SafeTensor, "name"> }
  | { kind: "mark" };

const ALLOWED = new Set([
  "collections OrderedDict",
  "torch._utils _rebuild_tensor_v2",
  "torch._utils _rebuild_parameter",
  ...Object.keys(STORAGES).map((s) => `torch ${s}`),
]);

function tuple(v: Value): Value[] {
  if (typeof v === "object" && v !== null && !Array.isArray(v) && v.kind === "tuple") return v.items;
  throw new TorchFileError("malformed pickle: expected a tuple");
}

function int(v: Value): number {
  if (typeof v === "number" && Number.isSafeInteger(v)) return v;
  if (typeof v === "bigint") return Number(v);
  throw new TorchFileError("malformed pickle: expected an integer");
}

function rebuildTensor(args: Value[], storageData: (key: string) => Uint8Array): Value {
  const [storage, offsetV, sizeV, strideV] = args;
  if (typeof storage !== "object" || storage === null || Array.isArray(storage) || storage.kind !== "storage") {
    throw new TorchFileError("malformed pickle: a tensor without a storage");
  }
  const offset = int(offsetV!);
  const shape = tuple(sizeV!).map(int);
  const stride = tuple(strideV!).map(int);
  const raw = storageData(storage.key);
  const count = shape.reduce((a, b) => a * b, 1);
  const out = new Uint8Array(count * storage.size);
  const index = new Array<number>(shape.length).fill(0);
  for (let i = 0; i < count; i++) {
    let at = offset;
    for (let d = 0; d < shape.length; d++) at += index[d]! * stride[d]!;
    if ((at + 1) * storage.size > raw.length) throw new TorchFileError(`storage ${storage.key} is too short for its tensor`);
    out.set(raw.subarray(at * storage.size, (at + 1) * storage.size), i * storage.size);
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++index[d]! < shape[d]!) break;
      index[d] = 0;
    }
  }
  const data = storage.dtype === "F32" ? new Float32Array(out.buffer) : storage.dtype === "F64" ? new Float64Array(out.buffer)
    : storage.dtype === "I64" ? new BigInt64Array(out.buffer) : storage.dtype === "I32" ? new Int32Array(out.buffer) : new Uint16Array(out.buffer);
  return { kind: "tensor", tensor: { dtype: storage.dtype, shape, data } };
}

/** Runs the pickle with only the constructors a state_dict needs. */
function unpickle(p: Uint8Array, storageData: (key: string) => Uint8Array): Value {
  const view = new DataView(p.buffer, p.byteOffset, p.byteLength);
  const stack: Value[] = [];
  const memo = new Map<number, Value>();
  const decoder = new TextDecoder();
  let i = 0;
  const need = (n: number): number => {
    if (i + n > p.length) throw new TorchFileError("truncated pickle");
    const at = i;
    i += n;
    return at;
  };
  const pop = (): Value => {
    if (stack.length === 0) throw new TorchFileError("malformed pickle: stack underflow");
    return stack.pop()!;
  };
  const popMark = (): Value[] => {
    for (let k = stack.length - 1; k >= 0; k--) {
      const v = stack[k];
      if (typeof v === "object" && v !== null && !Array.isArray(v) && v.kind === "mark") return stack.splice(k).slice(1);
    }
    throw new TorchFileError("malformed pickle: no mark");
  };
  const line = (): string => {
    const end = p.indexOf(0x0a, i);
    if (end < 0) throw new TorchFileError("truncated pickle");
    const s = decoder.decode(p.subarray(i, end));
    i = end + 1;
    return s;
  };
  const setItems = (target: Value, items: Value[]): void => {
    if (typeof target !== "object" || target === null || Array.isArray(target) || target.kind !== "dict") throw new TorchFileError("malformed pickle: SETITEM on a non-dict");
    for (let k = 0; k + 1 < items.length; k += 2) {
      const key = items[k];
      if (typeof key !== "string") throw new TorchFileError("a state_dict key is not a string");
      target.map.set(key, items[k + 1]!);
    }
  };
  for (;;) {
    const op = p[need(1)]!;
    switch (op) {
      case 0x80: need(1); break; // PROTO
      case 0x95: need(8); break; // FRAME
      case 0x7d: stack.push({ kind: "dict", map: new Map() }); break; // }
      case 0x5d: stack.push([]); break; // ]
      case 0x29: stack.push({ kind: "tuple", items: [] }); break; // )
      case 0x28: stack.push({ kind: "mark" }); break; // (
      case 0x74: stack.push({ kind: "tuple", items: popMark() }); break; // t
      case 0x85: stack.push({ kind: "tuple", items: [pop()] }); break;
      case 0x86: { const b = pop(); const a = pop(); stack.push({ kind: "tuple", items: [a, b] }); break; }
      case 0x87: { const c = pop(); const b = pop(); const a = pop(); stack.push({ kind: "tuple", items: [a, b, c] }); break; }
      case 0x71: memo.set(p[need(1)]!, stack.at(-1)!); break; // q BINPUT
      case 0x72: memo.set(view.getUint32(need(4), true), stack.at(-1)!); break; // r LONG_BINPUT
      case 0x94: memo.set(memo.size, stack.at(-1)!); break; // MEMOIZE
      case 0x68: stack.push(memo.get(p[need(1)]!) ?? null); break; // h BINGET
      case 0x6a: stack.push(memo.get(view.getUint32(need(4), true)) ?? null); break; // j LONG_BINGET
      case 0x58: { const n = view.getUint32(need(4), true); stack.push(decoder.decode(p.subarray(need(n), i))); break; } // X
      case 0x8c: { const n = p[need(1)]!; stack.push(decoder.decode(p.subarray(need(n), i))); break; } // SHORT_BINUNICODE
      case 0x4b: stack.push(p[need(1)]!); break; // K
      case 0x4d: stack.push(view.getUint16(need(2), true)); break; // M
      case 0x4a: stack.push(view.getInt32(need(4), true)); break; // J
      case 0x8a: { // LONG1
        const n = p[need(1)]!;
        const at = need(n);
        let v = 0n;
        for (let k = n - 1; k >= 0; k--) v = (v << 8n) | BigInt(p[at + k]!);
        if (n > 0 && p[at + n - 1]! >= 0x80) v -= 1n << BigInt(8 * n);
        stack.push(v);
        break;
      }
      case 0x47: stack.push(view.getFloat64(need(8), false)); break; // G
      case 0x4e: stack.push(null); break; // N
      case 0x88: stack.push(true); break;
      case 0x89: stack.push(false); break;
      case 0x63: { // c GLOBAL
        const name = `${line()} ${line()}`;
        if (!ALLOWED.has(name)) throw new TorchFileError(`the pickle calls '${name.replace(" ", ".")}', which a plain state_dict of tensors does not; refusing to run it`);
        stack.push({ kind: "global", name });
        break;
      }
      case 0x93: { // STACK_GLOBAL
        const n = pop();
        const m = pop();
        const name = `${String(m)} ${String(n)}`;
        if (!ALLOWED.has(name)) throw new TorchFileError(`the pickle calls '${name.replace(" ", ".")}', which a plain state_dict of tensors does not; refusing to run it`);
        stack.push({ kind: "global", name });
        break;
      }
      case 0x51: { // Q BINPERSID
        const [tag, type, key, , numel] = tuple(pop());
        const storage = typeof type === "object" && type !== null && !Array.isArray(type) && type.kind === "global" ? STORAGES[type.name.split(" ")[1]!] : undefined;
        if (tag !== "storage" || storage === undefined || typeof key !== "string") throw new TorchFileError("malformed pickle: unknown persistent id");
        void numel;
        stack.push({ kind: "storage", ...storage, key });
        break;
      }
      case 0x52: { // R REDUCE
        const args = tuple(pop());
        const fn = pop();
        const name = typeof fn === "object" && fn !== null && !Array.isArray(fn) && fn.kind === "global" ? fn.name : "";
        if (name === "collections OrderedDict") stack.push({ kind: "dict", map: new Map() });
        else if (name === "torch._utils _rebuild_tensor_v2") stack.push(rebuildTensor(args, storageData));
        else if (name === "torch._utils _rebuild_parameter") stack.push(args[0]!);
        else throw new TorchFileError("malformed pickle: REDUCE of something that is not a constructor");
        break;
      }
      case 0x73: { const v = pop(); const k = pop(); setItems(stack.at(-1)!, [k, v]); break; } // s
      case 0x75: { const items = popMark(); setItems(stack.at(-1)!, items); break; } // u
      case 0x62: pop(); break; // b BUILD: state (e.g. OrderedDict's metadata) is not needed
      case 0x61: { const v = pop(); const list = stack.at(-1); if (Array.isArray(list)) list.push(v); break; } // a
      case 0x65: { const items = popMark(); const list = stack.at(-1); if (Array.isArray(list)) list.push(...items); break; } // e
      case 0x2e: return pop(); // STOP
      default:
        throw new TorchFileError(`the pickle uses opcode 0x${op.toString(16)}, which a plain state_dict does not need; refusing it`);
    }
  }
}

/** The tensors of a torch.save'd state_dict (a dict of name -> tensor), read without executing the pickle. */
export function readTorchFile(bytes: Uint8Array): SafeTensor[] {
  const zip = readZip(bytes);
  const pickle = [...zip.values()].find((e) => e.name.endsWith("/data.pkl") || e.name === "data.pkl");
  if (pickle === undefined) throw new TorchFileError("no data.pkl in the archive: not a torch.save file");
  const prefix = pickle.name.slice(0, pickle.name.length - "data.pkl".length);
  const root = unpickle(pickle.data, (key) => {
    const entry = zip.get(`${prefix}data/${key}`);
    if (entry === undefined) throw new TorchFileError(`storage '${key}' is missing from the archive`);
    return entry.data;
  });
  if (typeof root !== "object" || root === null || Array.isArray(root) || root.kind !== "dict") {
    throw new TorchFileError("it does not hold a state_dict (a dict of tensors); save model.state_dict()");
  }
  const tensors: SafeTensor[] = [];
  for (const [name, v] of root.map) {
    if (typeof v === "object" && v !== null && !Array.isArray(v) && v.kind === "tensor") tensors.push({ name, ...v.tensor });
  }
  return tensors;
}
