import cluster, { type Worker } from 'node:cluster';
import {
  isQuotaMessage,
  QUOTA_MESSAGE,
  StreamQuota,
  type QuotaLimits,
  type QuotaMessage,
  type StreamHolder,
} from '../sales/stream/stream-quota';

interface Held {
  holder: StreamHolder;
  count: number;
}

/**
 * In the primary: the one count of live streams per address and per user for every worker. node:cluster
 * hands one client's connections to the workers in turn, so counts kept per worker let one address hold
 * the cap times the number of workers. A worker asks before it opens a stream and says when one closed;
 * what a dead worker held is given back when it exits (its streams died with it).
 */
export class StreamQuotaHost {
  private readonly quota: StreamQuota;
  /** Per worker, the holders of its open streams (a holder may hold several). */
  private readonly byWorker = new Map<number, Map<string, Held>>();

  constructor(limits: QuotaLimits) {
    this.quota = new StreamQuota(limits);
  }

  serve(): void {
    cluster.on('message', (worker, message) => {
      if (isQuotaMessage(message)) this.onMessage(worker, message);
    });
    cluster.on('exit', (worker) => this.releaseAll(worker.id));
  }

  private onMessage(worker: Worker, message: QuotaMessage): void {
    if (message.op === 'take') {
      const refusal = this.quota.take(message.holder);
      if (!refusal) this.track(worker.id, message.holder, 1);
      const verdict: QuotaMessage = { type: QUOTA_MESSAGE, op: 'verdict', id: message.id, refusal };
      // A worker that died meanwhile is given back everything on exit, this place included.
      if (worker.isConnected()) worker.send(verdict, () => undefined);
    } else if (message.op === 'give-back' && this.track(worker.id, message.holder, -1)) {
      this.quota.giveBack(message.holder);
    }
  }

  /** False when the worker held no such stream (nothing to give back). */
  private track(workerId: number, holder: StreamHolder, change: 1 | -1): boolean {
    const held = this.byWorker.get(workerId) ?? new Map<string, Held>();
    this.byWorker.set(workerId, held);
    const key = JSON.stringify([holder.address, holder.userId ?? null]);
    const entry = held.get(key) ?? { holder, count: 0 };
    if (entry.count + change < 0) return false;
    entry.count += change;
    if (entry.count === 0) held.delete(key);
    else held.set(key, entry);
    return true;
  }

  private releaseAll(workerId: number): void {
    for (const { holder, count } of this.byWorker.get(workerId)?.values() ?? []) {
      for (let i = 0; i < count; i += 1) this.quota.giveBack(holder);
    }
    this.byWorker.delete(workerId);
  }
}
