// Parallel loading with a deterministic failure: Promise.all rejects with whichever promise fails first in time, so
// with two model files missing the error would name either one depending on disk and network timing.

/**
 * Waits for every promise. When any failed, throws the failure that comes first in argument order, after handing
 * each value that did arrive to `release` (so a partial set of sessions is not leaked); otherwise returns the values.
 */
export async function allInOrder<T extends readonly unknown[]>(promises: readonly [...{ [K in keyof T]: T[K] | Promise<T[K]> }], release?: (value: unknown) => unknown): Promise<T> {
  const settled = await Promise.allSettled(promises);
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) {
    if (release) {
      for (const s of settled) {
        if (s.status === 'fulfilled' && s.value != null) {
          try {
            await release(s.value);
          } catch {
            // the load failure is the error worth reporting
          }
        }
      }
    }
    throw failed.reason;
  }
  return settled.map((s) => (s as PromiseFulfilledResult<unknown>).value) as unknown as T;
}
