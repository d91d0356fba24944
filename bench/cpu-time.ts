/**
 * CPU time per call of small cases (process.cpuUsage: steadier than wall time on a shared machine):
 * the per-step benchmarks (step-overhead.ts, gru-step.ts).
 */

/** CPU µs per call of each case: a warm-up, then interleaved rounds of `calls` calls; the minimum round. */
export function cpuMicrosPerCall(cases: Record<string, () => void>, rounds: number, calls: number): Record<string, number> {
  const best: Record<string, number> = {};
  for (const run of Object.values(cases)) for (let i = 0; i < calls / 4; i++) run();
  for (let round = 0; round < rounds; round++) {
    for (const [name, run] of Object.entries(cases)) {
      const start = process.cpuUsage();
      for (let i = 0; i < calls; i++) run();
      const used = process.cpuUsage(start);
      best[name] = Math.min(best[name] ?? Infinity, (used.user + used.system) / calls);
    }
  }
  return best;
}
