// wabt (a dev dependency) as the independent reference for the encoder: its parser turns WAT
// into bytes, its reader validates ours with the SIMD and threads features on.
import wabtInit from "wabt";

type Wabt = Awaited<ReturnType<typeof wabtInit>>;

let instance: Promise<Wabt> | null = null;

function wabt(): Promise<Wabt> {
  instance ??= wabtInit();
  return instance;
}

const features = { simd: true, threads: true, sat_float_to_int: true, multi_value: true, bulk_memory: true };

type WasmModule = ReturnType<Wabt["readWasm"]>;

/** wabt's validate takes the features too (its typings omit the parameter): without them it rejects shared memory. */
function validate(module: WasmModule): void {
  (module.validate as unknown as (this: WasmModule, options: typeof features) => void).call(module, features);
}

/** wabt's encoding of a module written in the text format. */
export async function watToBytes(wat: string): Promise<Uint8Array> {
  const w = await wabt();
  const module = w.parseWat("test.wat", wat, features);
  try {
    validate(module);
    return module.toBinary({ write_debug_names: false }).buffer;
  } finally {
    module.destroy();
  }
}

/** Throws wabt's message if the bytes are not a valid module. */
export async function wabtValidate(bytes: Uint8Array): Promise<void> {
  const w = await wabt();
  const module = w.readWasm(bytes, { ...features, readDebugNames: false });
  try {
    validate(module);
  } finally {
    module.destroy();
  }
}

/** The first differing byte, for a readable failure. */
export function firstDifference(a: Uint8Array, b: Uint8Array): string | null {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a[i] !== b[i]) return `byte ${i}: ours ${a[i]?.toString(16)}, wabt ${b[i]?.toString(16)} (lengths ${a.length}, ${b.length})`;
  }
  return null;
}
