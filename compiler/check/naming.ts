// Checkpoint names that do not depend on lines or columns: `binding.layer_k`, where the
// binding is `b` for the first binding of that name in its model or block and `b_1`, `b_2`
// for the later ones that shadow it, and k counts applications of that layer within the
// binding, in evaluation order. A block call adds its own step (`x_2.FeedForward_0.`)
// before the block's inner names.
export class ParamNamer {
  private readonly bindings = new Map<string, number>();
  private readonly applications = new Map<string, number>();
  private binding = "";

  constructor(private readonly prefix: string) {}

  /** Starts a binding, output or loss statement: later applications are named under it. */
  enterBinding(name: string): void {
    const n = this.bindings.get(name) ?? 0;
    this.bindings.set(name, n + 1);
    this.binding = n === 0 ? name : `${name}_${n}`;
    this.applications.clear();
  }

  /** The path of the next application of `op` (a layer, block or element-wise operator). */
  next(op: string): string {
    const k = this.applications.get(op) ?? 0;
    this.applications.set(op, k + 1);
    return `${this.prefix}${this.binding}.${op}_${k}`;
  }
}
