/**
 * Runs `work` over `items` with at most `limit` running at once, in order of `items`. Every started
 * task is awaited (settled), even after one fails, so nothing is still writing when this returns;
 * `stopped()` is checked before each new task starts.
 */
export async function runBounded<T>(items: readonly T[], limit: number, stopped: () => boolean, work: (item: T) => Promise<void>): Promise<PromiseSettledResult<void>[]> {
  const results: PromiseSettledResult<void>[] = [];
  let next = 0;
  const lane = async () => {
    while (next < items.length && !stopped()) {
      const item = items[next++] as T;
      try {
        await work(item);
        results.push({ status: 'fulfilled', value: undefined });
      } catch (reason) {
        results.push({ status: 'rejected', reason });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, lane));
  return results;
}
