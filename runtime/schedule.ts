// Learning-rate schedules, counted in optimizer steps. `step` is the number of updates
// already taken (0 for the first update), as PyTorch's LR schedulers count when
// `scheduler.step()` follows each `optimizer.step()`.
//
//   constant            lr
//   step(every, gamma)  lr * gamma^floor(step / every)                  (torch StepLR)
//   cosine(warmup)      lr * step / warmup                             for step < warmup
//                       lr * 0.5 * (1 + cos(pi * min(1, (step - warmup) / max(1, total - warmup))))
//                                                                       otherwise
//
// cosine is the linear-warm-up cosine schedule of Hugging Face's
// get_cosine_schedule_with_warmup: it starts at 0, reaches lr after `warmup` steps and
// decays to 0 at `totalSteps`, staying at 0 beyond it.

import type { ScheduleInfo } from "./model.js";

/** The learning rate of the update numbered `step` (0-based) in a run of `totalSteps`. */
export type Schedule = (baseLr: number, step: number, totalSteps: number) => number;

interface ScheduleEntry {
  /** Argument names with their defaults. */
  args: Record<string, number>;
  make(args: Record<string, number>): Schedule;
}

const SCHEDULES: Record<string, ScheduleEntry> = {
  constant: {
    args: {},
    make: () => (lr) => lr,
  },
  step: {
    args: { every: 1, gamma: 0.1 },
    make: ({ every, gamma }) => {
      if (!Number.isInteger(every) || every! < 1) {
        throw new Error(`schedule step: 'every' must be a positive integer, got ${every}`);
      }
      return (lr, step) => lr * Math.pow(gamma!, Math.floor(step / every!));
    },
  },
  cosine: {
    args: { warmup: 0 },
    make: ({ warmup }) => {
      if (!Number.isInteger(warmup) || warmup! < 0) {
        throw new Error(`schedule cosine: 'warmup' must be a non-negative integer, got ${warmup}`);
      }
      const w = warmup!;
      return (lr, step, totalSteps) => {
        if (step < w) return (lr * step) / w;
        const progress = Math.min(1, (step - w) / Math.max(1, totalSteps - w));
        return lr * 0.5 * (1 + Math.cos(Math.PI * progress));
      };
    },
  },
};

/** The names of the supported schedules. */
export const scheduleNames: readonly string[] = Object.keys(SCHEDULES);

/** Validates a schedule's name and arguments and returns its rate function. */
export function createSchedule(info: ScheduleInfo): Schedule {
  const entry = Object.hasOwn(SCHEDULES, info.name) ? SCHEDULES[info.name] : undefined;
  if (entry === undefined) {
    throw new Error(`unknown schedule '${info.name}' (known: ${scheduleNames.join(", ")})`);
  }
  const args: Record<string, number> = { ...entry.args };
  for (const [name, value] of Object.entries(info.args)) {
    if (!Object.hasOwn(entry.args, name)) {
      const known = Object.keys(entry.args);
      throw new Error(
        `schedule ${info.name} has no argument '${name}'` +
          (known.length > 0 ? ` (it takes: ${known.join(", ")})` : " (it takes none)"),
      );
    }
    if (typeof value !== "number" || !Number.isFinite(value)) {
      throw new Error(`schedule ${info.name}: '${name}' must be a finite number, got ${String(value)}`);
    }
    args[name] = value;
  }
  return entry.make(args);
}
