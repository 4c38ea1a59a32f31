/** Entries a cache of the api holds at most; the oldest goes first. */
const MAX_KEPT = 10_000;

/** Sets `key`, first making room by dropping the oldest entry of a full cache. */
export function keep<V>(cache: Map<string, V>, key: string, value: V): void {
  cache.delete(key);
  if (cache.size >= MAX_KEPT) {
    const oldest = cache.keys().next().value;
    if (oldest !== undefined) cache.delete(oldest);
  }
  cache.set(key, value);
}

/** Runs `run` once for everyone asking the same `key` while it runs. */
export function share<T>(pending: Map<string, Promise<T>>, key: string, run: () => Promise<T>): Promise<T> {
  const running = pending.get(key);
  if (running) return running;
  const started = run().finally(() => pending.delete(key));
  pending.set(key, started);
  return started;
}
