/** Settings of the bench scripts, read from the environment. */

/** A positive number from `name`, or `fallback` when unset; anything else stops the run. */
export function envNumber(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const n = Number(text.replace(/_/g, ''));
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number, got '${text}'`);
  return n;
}

/** BENCH_SIZES: the token counts to seed and measure (default 1,000, 100,000 and 1,000,000). */
export function benchSizes(): number[] {
  return (process.env.BENCH_SIZES ?? '1000,100000,1000000').split(',').map((s) => {
    const n = Number(s.trim().replace(/_/g, ''));
    if (!Number.isInteger(n) || n < 2) throw new Error(`BENCH_SIZES: '${s}' is not an integer >= 2`);
    return n;
  });
}
