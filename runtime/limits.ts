// The ranges of a run's whole-number settings, shared by the `nnc` flags and the `.nn`
// `train { }` block so that both refuse the same values with the same bounds.

/**
 * Seeds are the integers `Rng` folds exactly into its 32-bit splitmix32 start (up to 53
 * bits); beyond 2^53 a JavaScript number no longer holds every integer, so two different
 * typed seeds would silently be the same run.
 */
export const MAX_SEED = Number.MAX_SAFE_INTEGER;

/**
 * A model's buffers hold a whole batch, so the batch size multiplies its memory; 2^20
 * samples per step is beyond any use and keeps a typo such as `--batch 1000000000` from
 * asking for terabytes.
 */
export const MAX_BATCH = 1_048_576;
