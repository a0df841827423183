/**
 * Work over a list with a bounded number of requests in flight, for the measurement scripts:
 * `n` loops each take the next item until none is left.
 */

/** Runs `work` over the items, `n` at a time. */
export async function pool<T>(items: T[], n: number, work: (item: T, i: number) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        await work(items[i], i);
      }
    }),
  );
}
