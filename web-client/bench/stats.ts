// The benchmark's statistics, kept apart from the browser so that they are unit-tested
// (test/bench-stats.test.ts): percentiles of latencies and the ratio of two runs.

/**
 * The p-th percentile (0..100) by the nearest-rank method: a value that was really measured, never
 * an interpolation between two; undefined for no samples.
 */
export function percentile (samples: readonly number[], p: number): number | undefined {
  if (!samples.length) return undefined
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile ${p} is not within 0..100`)
  const sorted = [...samples].sort((a, b) => a - b)
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length))
  return sorted[rank - 1]
}

/** candidate / baseline, undefined when either is missing or the baseline is zero. */
export function ratio (baseline: number | undefined, candidate: number | undefined): number | undefined {
  if (baseline === undefined || candidate === undefined || baseline === 0) return undefined
  return candidate / baseline
}

/** The median (the 50th percentile, nearest rank) of the values that are defined. */
export const median = (values: readonly (number | undefined)[]): number | undefined =>
  percentile(values.filter((v): v is number => v !== undefined && !Number.isNaN(v)), 50)
