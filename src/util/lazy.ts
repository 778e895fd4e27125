// A resource loaded on first use and shared after (models, an engine); a failed load is forgotten, so the next use
// tries again instead of failing forever on one bad moment.

export interface Lazy<T> {
  /** The resource, loading it on the first call. */
  (): Promise<T>;
  /** The resource if a load succeeded, else null; never starts a load (for releasing it). */
  loaded(): Promise<T | null>;
}

export function lazy<T>(load: () => Promise<T>): Lazy<T> {
  let pending: Promise<T> | null = null;
  const get = (() => {
    if (!pending) {
      const p = load();
      pending = p;
      p.catch(() => {
        if (pending === p) pending = null;
      });
    }
    return pending;
  }) as Lazy<T>;
  get.loaded = async () => (pending ? pending.catch(() => null) : null);
  return get;
}
