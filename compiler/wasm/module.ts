// A WebAssembly module as the kernels need it: functions over one imported memory (shared
// when the kernels run on several threads), exported by name, and constant data. Sections
// are written in the order the binary format requires; function types are shared.

import { ByteWriter } from "./bytes.js";
import { FunctionBuilder, type FunctionRef } from "./function.js";
import { valTypeCode, type ValType } from "./opcodes.js";

export interface MemoryImport {
  module: string;
  name: string;
  /** In 64 KiB pages. */
  minimumPages: number;
  /** Required for shared memory. */
  maximumPages?: number;
  /** A SharedArrayBuffer-backed memory, for kernels run on several threads. */
  shared?: boolean;
}

interface FunctionImport {
  module: string;
  name: string;
  type: number;
}

const enum Section {
  Type = 1,
  Import = 2,
  Function = 3,
  Export = 7,
  Code = 10,
  Data = 11,
}

export class ModuleBuilder {
  private readonly types: { params: ValType[]; results: ValType[]; key: string }[] = [];
  private readonly functionImports: FunctionImport[] = [];
  private memory: MemoryImport | null = null;
  private readonly functions: { builder: FunctionBuilder; type: number; exported: boolean }[] = [];
  private readonly dataSegments: { offset: number; bytes: Uint8Array }[] = [];

  private typeIndex(params: readonly ValType[], results: readonly ValType[]): number {
    const key = `${params.join(",")}->${results.join(",")}`;
    const found = this.types.findIndex((t) => t.key === key);
    if (found >= 0) return found;
    this.types.push({ params: [...params], results: [...results], key });
    return this.types.length - 1;
  }

  importMemory(memory: MemoryImport): this {
    if (memory.shared && memory.maximumPages === undefined) throw new Error("internal error: a shared memory needs a maximum size");
    this.memory = memory;
    return this;
  }

  /** An imported function (Math.exp, say), for `call`. */
  importFunction(module: string, name: string, params: readonly ValType[], results: readonly ValType[]): FunctionRef {
    if (this.functions.length > 0) throw new Error("internal error: import functions before defining any");
    this.functionImports.push({ module, name, type: this.typeIndex(params, results) });
    return { index: this.functionImports.length - 1, params, results };
  }

  /** A new function, exported under its name unless `exported` is false. */
  function(name: string, params: readonly (readonly [string, ValType])[], results: readonly ValType[] = [], exported = true): FunctionBuilder {
    if (this.functions.some((f) => f.builder.name === name)) throw new Error(`internal error: two functions named '${name}'`);
    const builder = new FunctionBuilder(name, params, results);
    this.functions.push({ builder, type: this.typeIndex(params.map(([, t]) => t), results), exported });
    return builder;
  }

  private functionIndex(name: string): number {
    const at = this.functions.findIndex((f) => f.builder.name === name);
    if (at < 0) throw new Error(`internal error: no function '${name}'`);
    return this.functionImports.length + at;
  }

  /** A defined function, for `call`. */
  functionRef(name: string): FunctionRef {
    const index = this.functionIndex(name);
    const { builder } = this.functions[index - this.functionImports.length]!;
    return { index, params: builder.paramTypes, results: builder.results };
  }

  data(offset: number, bytes: Uint8Array): this {
    this.dataSegments.push({ offset, bytes });
    return this;
  }

  toBytes(): Uint8Array {
    const out = new ByteWriter().bytes([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
    const section = (id: Section, write: (w: ByteWriter) => void): void => {
      const w = new ByteWriter();
      write(w);
      out.byte(id).sized(w);
    };
    if (this.types.length > 0) {
      section(Section.Type, (w) => {
        w.u32(this.types.length);
        for (const t of this.types) {
          w.byte(0x60).u32(t.params.length);
          for (const p of t.params) w.byte(valTypeCode[p]);
          w.u32(t.results.length);
          for (const r of t.results) w.byte(valTypeCode[r]);
        }
      });
    }
    const memory = this.memory;
    if (this.functionImports.length > 0 || memory) {
      section(Section.Import, (w) => {
        w.u32(this.functionImports.length + (memory ? 1 : 0));
        for (const f of this.functionImports) w.name(f.module).name(f.name).byte(0x00).u32(f.type);
        if (memory) {
          w.name(memory.module).name(memory.name).byte(0x02);
          const flags = (memory.maximumPages !== undefined ? 1 : 0) | (memory.shared ? 2 : 0);
          w.byte(flags).u32(memory.minimumPages);
          if (memory.maximumPages !== undefined) w.u32(memory.maximumPages);
        }
      });
    }
    if (this.functions.length > 0) {
      section(Section.Function, (w) => {
        w.u32(this.functions.length);
        for (const f of this.functions) w.u32(f.type);
      });
    }
    const exported = this.functions.filter((f) => f.exported);
    if (exported.length > 0) {
      section(Section.Export, (w) => {
        w.u32(exported.length);
        for (const f of exported) w.name(f.builder.name).byte(0x00).u32(this.functionIndex(f.builder.name));
      });
    }
    if (this.functions.length > 0) {
      section(Section.Code, (w) => {
        w.u32(this.functions.length);
        for (const f of this.functions) {
          const body = f.builder.encodeBody();
          w.u32(body.length).bytes(body);
        }
      });
    }
    if (this.dataSegments.length > 0) {
      if (!memory) throw new Error("internal error: data segments need a memory");
      section(Section.Data, (w) => {
        w.u32(this.dataSegments.length);
        for (const d of this.dataSegments) w.byte(0x00).byte(0x41).i32(d.offset).byte(0x0b).u32(d.bytes.length).bytes(d.bytes);
      });
    }
    return out.finish();
  }
}
