/**
 * Coalesces identical concurrent reads: while a read for a key is in flight, later callers share it
 * instead of querying again. Nothing is kept once it settles, so every answer comes from a read that
 * started after at most one round trip before the request: still live, but a crowd polling one sale
 * costs one query per round trip instead of one per request.
 */
export class SingleFlight<T> {
  private readonly inFlight = new Map<string, Promise<T>>();

  run(key: string, read: () => Promise<T>): Promise<T> {
    const existing = this.inFlight.get(key);
    if (existing) return existing;
    const started = read().finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, started);
    return started;
  }
}
