// Binding a call's arguments to its callee's parameters: positional first, then named, the
// piped value (`x |> f(...)`) first of all. One binder serves layers, blocks, losses,
// optimizers, init schemes and schedules, so they all report the same mistakes the same way.
import type {
  Argument,
  BlockDecl,
  BlockParam,
  Expr,
  Identifier,
  InputDecl,
  OutputDecl,
  Range,
} from "../../grammar/ast.js";
import type {
  ArgType,
  InitEntry,
  LayerEntry,
  LossEntry,
  OptimizerEntry,
  ScheduleEntry,
  SurrogateEntry,
} from "../library/index.js";
import { initEntries, scheduleEntries, surrogateEntries } from "../library/index.js";
import { codes } from "./codes.js";
import { reportUnknown, type Reporter } from "./report.js";

/** What a slot accepts: a library argument type, a loss's target, or a block parameter. */
export type SlotType =
  | ArgType
  | { kind: "target" }
  /** A block parameter declared without a type: a number or a boolean. */
  | { kind: "any" };

export interface Slot {
  name: string;
  type: SlotType;
  required: boolean;
  /** For a block's inputs and parameters: the identifier that declares it. */
  declaration?: Identifier;
}

/** A block's signature, read from its declaration before any body is resolved. */
export interface BlockInfo {
  decl: BlockDecl;
  inputs: InputDecl[];
  params: BlockParam[];
  outputs: OutputDecl[];
  slots: Slot[];
}

export type Callee =
  | { kind: "layer"; entry: LayerEntry }
  | { kind: "block"; block: BlockInfo }
  | { kind: "loss"; entry: LossEntry }
  | { kind: "optimizer"; entry: OptimizerEntry }
  | { kind: "init"; entry: InitEntry }
  | { kind: "schedule"; entry: ScheduleEntry }
  | { kind: "surrogate"; entry: SurrogateEntry };

export interface BoundArg {
  expr: Expr;
  /** Where an error about this argument's value goes: the argument as written, or the piped expression. */
  range: Range;
}

export interface BoundCall {
  callee: Callee;
  /** The callee's name as written, where errors about the call as a whole go. */
  calleeId: Identifier;
  /** Arguments by parameter name; absent ones take their defaults. */
  args: Map<string, BoundArg>;
  /** True when the callee's first input came through `|>`. */
  piped: boolean;
}

export function calleeName(c: Callee): string {
  return c.kind === "block" ? c.block.decl.name.name : c.entry.name;
}

/** Slots of library entries, computed once per entry: every call of `dense` shares them. */
const librarySlots = new WeakMap<object, Slot[]>();

export function slotsOf(c: Callee): Slot[] {
  if (c.kind === "block") return c.block.slots;
  let slots = librarySlots.get(c.entry);
  if (!slots) {
    slots = computeSlots(c);
    librarySlots.set(c.entry, slots);
  }
  return slots;
}

function computeSlots(c: Callee): Slot[] {
  switch (c.kind) {
    case "layer":
      return [
        ...c.entry.inputs.map((name): Slot => ({ name, type: { kind: "tensor" }, required: true })),
        ...c.entry.args.map(
          (a): Slot => ({ name: a.name, type: a.type, required: a.default === undefined && a.defaultDoc === undefined }),
        ),
      ];
    case "block":
      return c.block.slots;
    case "loss":
      return [
        { name: "prediction", type: { kind: "tensor" }, required: true },
        { name: "target", type: { kind: "target" }, required: true },
      ];
    default:
      return c.entry.args.map(
        (a): Slot => ({ name: a.name, type: a.type, required: a.default === undefined && a.defaultDoc === undefined }),
      );
  }
}

export function blockSlots(inputs: InputDecl[], params: BlockParam[]): Slot[] {
  const paramType = (p: BlockParam): SlotType => {
    switch (p.type?.name) {
      case "int":
        return { kind: "int" };
      case "float":
        return { kind: "float" };
      case "bool":
        return { kind: "bool" };
      default:
        return { kind: "any" };
    }
  };
  return [
    ...inputs.map((i): Slot => ({ name: i.name.name, type: { kind: "tensor" }, required: true, declaration: i.name })),
    ...params.map((p): Slot => ({ name: p.name.name, type: paramType(p), required: true, declaration: p.name })),
  ];
}

function tensorInputCount(slots: Slot[]): number {
  let n = 0;
  while (n < slots.length && slots[n]!.type.kind === "tensor") n++;
  return n;
}

/**
 * Matches the arguments of a call to the callee's slots and reports what does not fit:
 * a pipe into a callee without tensor inputs, too many positional arguments, an unknown
 * or repeated name, a missing required argument. The result binds whatever did fit.
 */
export function bindArguments(
  callee: Callee,
  calleeId: Identifier,
  args: readonly Argument[],
  piped: Expr | null,
  reporter: Reporter,
): BoundCall {
  const slots = slotsOf(callee);
  const name = calleeName(callee);
  const bound = new Map<string, BoundArg>();
  const inputs = tensorInputCount(slots);
  let next = 0;
  if (piped) {
    if (inputs === 0) {
      reporter.report(
        codes.notApplicable,
        `'${name}' takes no tensor input, so nothing can be piped into it`,
        calleeId.range,
      );
    } else {
      bound.set(slots[0]!.name, { expr: piped, range: piped.range });
      next = 1;
    }
  }
  // `dense(10)` written without a pipe: the 10 is meant as units, not as the input.
  if (!piped && inputs > 0 && firstPositional(args)?.value.kind === "Number") next = inputs;
  let tooMany = false;
  // After an unknown or extra argument, a "missing" one is most likely that same argument misspelt: say it once.
  let misfit = false;
  // Positional arguments first, then named ones, each in the order written.
  for (const arg of args) {
    if (arg.name !== null) continue;
    if (next >= slots.length) {
      if (!tooMany) {
        const takes = slots.slice(piped ? 1 : 0).map((s) => s.name);
        const besides = piped ? " besides its piped input" : "";
        const message =
          takes.length === 0
            ? `too many arguments: '${name}' takes none${besides}`
            : `too many arguments: '${name}' takes (${takes.join(", ")})${besides}`;
        reporter.report(codes.tooManyArguments, message, arg.range);
        tooMany = true;
        misfit = true;
      }
      continue;
    }
    bound.set(slots[next]!.name, { expr: arg.value, range: arg.range });
    next++;
  }
  for (const arg of args) {
    const id = arg.name;
    if (id === null || id.missing) continue;
    const slot = slots.find((s) => s.name === id.name);
    if (!slot) {
      const home = nestedHome(slots, id.name);
      const sibling = siblingWith(callee, id.name);
      const otherwise = home
        ? `; it belongs inside '${home.slot}': \`${home.slot}: ${home.entry}(${id.name}: ...)\``
        : sibling
          ? `; it is an argument of '${sibling}', not of '${name}'`
          : undefined;
      reportUnknown(reporter, codes.unknownArgument, "argument", id, slots.map((s) => s.name), {
        qualifier: `for '${name}'`,
        ...(otherwise ? { otherwise } : {}),
      });
      misfit = true;
      continue;
    }
    if (bound.has(slot.name)) {
      reporter.report(codes.duplicateArgument, `argument '${slot.name}' of '${name}' is passed twice`, id.range);
      continue;
    }
    bound.set(slot.name, { expr: arg.value, range: arg.range });
  }
  const missing = misfit ? noSlots : missingSlots(slots, bound);
  if (missing.length > 0) {
    const first = missing[0]!;
    const message =
      first.type.kind === "tensor" && inputs === 1 && !piped
        ? `'${name}' needs a tensor input '${first.name}': pipe one in, \`x |> ${name}(...)\``
        : `'${name}' needs ${missing.length === 1 ? "argument" : "arguments"} ${missing.map((s) => `'${s.name}'`).join(", ")}`;
    reporter.report(codes.missingArgument, message, calleeId.range);
  }
  return { callee, calleeId, args: bound, piped: piped !== null };
}

const noSlots: readonly Slot[] = [];

const nestedEntries: Partial<Record<ArgType["kind"], ReadonlyMap<string, { name: string; args: readonly { name: string }[] }>>> = {
  init: initEntries,
  schedule: scheduleEntries,
  surrogate: surrogateEntries,
};

/** Another entry of the same kind that takes `name`: `fast_sigmoid(alpha: 2)` is `atan`'s argument. */
function siblingWith(callee: Callee, name: string): string | undefined {
  if (callee.kind === "block") return undefined;
  const entries = nestedEntries[callee.kind as ArgType["kind"]];
  for (const entry of entries?.values() ?? []) if (entry !== callee.entry && entry.args.some((a) => a.name === name)) return entry.name;
  return undefined;
}

/**
 * The call-valued argument an unknown argument name belongs inside: `lif(slope: 5)` means
 * `surrogate: fast_sigmoid(slope: 5)`, `dense(std: 0.1)` means `init: normal(std: 0.1)`.
 */
function nestedHome(slots: readonly Slot[], name: string): { slot: string; entry: string } | undefined {
  for (const slot of slots) {
    const entries = nestedEntries[slot.type.kind as ArgType["kind"]];
    for (const entry of entries?.values() ?? []) if (entry.args.some((a) => a.name === name)) return { slot: slot.name, entry: entry.name };
  }
  return undefined;
}

/** The required slots nothing was bound to; `noSlots` (no allocation) in the usual case of none. */
function missingSlots(slots: readonly Slot[], bound: ReadonlyMap<string, BoundArg>): readonly Slot[] {
  let missing: Slot[] | undefined;
  for (const slot of slots) if (slot.required && !bound.has(slot.name)) (missing ??= []).push(slot);
  return missing ?? noSlots;
}

function firstPositional(args: readonly Argument[]): Argument | undefined {
  for (const arg of args) if (arg.name === null) return arg;
  return undefined;
}
