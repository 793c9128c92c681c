/** Where the lease lives; one conditional write per call (the MongoDB one is lease-store.ts). */
export interface LeaseStore {
  /** Takes or renews the lease for `holder` until `expiresAt`; false when another holder has it. */
  take(holder: string, now: Date, expiresAt: Date): Promise<boolean>;
  /** Ends the lease now if `holder` has it, so a successor need not wait for it to expire. */
  release(holder: string, now: Date): Promise<void>;
}

export type LeaseChange =
  { change: 'gained' } | { change: 'lost'; reason: string } | { change: 'none' };

/**
 * This instance's view of one lease. It counts as held only until the expiry it last wrote, by its own
 * clock: when a renewal cannot reach the database, the instance stops running the jobs when the lease
 * runs out, which is also when another instance may take it. Clocks are assumed to agree within a
 * fraction of the TTL (NTP); a larger skew only lets two instances run the jobs at once for a while,
 * which costs duplicate work, never correctness (every job's write is conditional).
 */
export class LeaseKeeper {
  private expiresAt = 0;
  private reported = false;
  private lastError: string | undefined;

  constructor(
    private readonly store: LeaseStore,
    readonly holder: string,
    readonly ttlMs: number,
    private readonly clock: () => number = Date.now,
  ) {}

  get held(): boolean {
    return this.clock() < this.expiresAt;
  }

  /** One take-or-renew attempt; says whether this instance just became, or stopped being, the holder. */
  async step(): Promise<LeaseChange> {
    const now = this.clock();
    try {
      const won = await this.store.take(this.holder, new Date(now), new Date(now + this.ttlMs));
      this.expiresAt = won ? now + this.ttlMs : 0;
      this.lastError = undefined;
    } catch (error) {
      // Unknown outcome: keep what was held until it runs out by itself.
      this.lastError = error instanceof Error ? error.message : String(error);
    }
    return this.change();
  }

  /** Gives the lease up (at shutdown); a no-op when not held. */
  async release(): Promise<LeaseChange> {
    if (!this.held) return this.change();
    this.expiresAt = 0;
    await this.store.release(this.holder, new Date(this.clock()));
    return this.change('released at shutdown');
  }

  private change(reason?: string): LeaseChange {
    const held = this.held;
    if (held === this.reported) return { change: 'none' };
    this.reported = held;
    if (held) return { change: 'gained' };
    return {
      change: 'lost',
      reason:
        reason ??
        (this.lastError
          ? `the lease could not be renewed (${this.lastError}) and ran out`
          : 'another instance holds the lease'),
    };
  }
}
