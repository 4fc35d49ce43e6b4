/** Small statistics helpers for latency samples (any unit) and timings. */

/** The p-th percentile (0–100) by nearest rank. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

/** Milliseconds since an arbitrary origin, sub-millisecond precision. */
export function nowMs(): number {
  return performance.now();
}

/** Runs `worker` from `concurrency` loops at once and waits for all of them. */
export async function inParallel<T>(concurrency: number, worker: (slot: number) => Promise<T>): Promise<T[]> {
  return Promise.all(Array.from({ length: concurrency }, (_unused, slot) => worker(slot)));
}
