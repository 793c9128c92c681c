/** Who holds a live stream: the client address, and the user when a valid token came with it. */
export interface StreamHolder {
  address: string;
  userId?: string;
}

export interface QuotaLimits {
  perAddress: number;
  perUser: number;
}

/** Which cap refused a stream. */
export type QuotaRefusal = 'address' | 'user';

/**
 * Streams held per address and per user. One instance counts for the whole service instance: in a
 * single process the process's own, in cluster mode the primary's (StreamQuotaHost), which every worker
 * asks, since node:cluster spreads one client's connections over the workers.
 */
export class StreamQuota {
  private readonly held = new Map<string, number>();

  constructor(private readonly limits: QuotaLimits) {}

  take(holder: StreamHolder): QuotaRefusal | null {
    const [address, user] = keysOf(holder);
    if ((this.held.get(address) ?? 0) >= this.limits.perAddress) return 'address';
    if (user && (this.held.get(user) ?? 0) >= this.limits.perUser) return 'user';
    this.add(address, 1);
    if (user) this.add(user, 1);
    return null;
  }

  giveBack(holder: StreamHolder): void {
    for (const key of keysOf(holder)) if (key) this.add(key, -1);
  }

  private add(key: string, change: number): void {
    const count = (this.held.get(key) ?? 0) + change;
    if (count > 0) this.held.set(key, count);
    else this.held.delete(key);
  }
}

const keysOf = (holder: StreamHolder): [string, string | undefined] => [
  `address:${holder.address}`,
  holder.userId === undefined ? undefined : `user:${holder.userId}`,
];

/** What a worker and the primary say to each other about the quota (process.send / worker.send). */
export type QuotaMessage =
  | { type: typeof QUOTA_MESSAGE; op: 'take'; id: number; holder: StreamHolder }
  | { type: typeof QUOTA_MESSAGE; op: 'verdict'; id: number; refusal: QuotaRefusal | null }
  | { type: typeof QUOTA_MESSAGE; op: 'give-back'; holder: StreamHolder };

export const QUOTA_MESSAGE = 'flash-sale:stream-quota';

export const isQuotaMessage = (message: unknown): message is QuotaMessage =>
  typeof message === 'object' &&
  message !== null &&
  (message as { type?: unknown }).type === QUOTA_MESSAGE;
