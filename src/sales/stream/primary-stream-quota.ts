import {
  isQuotaMessage,
  QUOTA_MESSAGE,
  type QuotaMessage,
  type QuotaRefusal,
  type StreamHolder,
} from './stream-quota';

/** The primary answers in well under a millisecond; no answer in this long means it is gone or stuck. */
const ANSWER_TIMEOUT_MS = 2_000;

interface Waiting {
  holder: StreamHolder;
  answer?: (refusal: QuotaRefusal | null) => void;
}

/**
 * In a cluster worker: the quota is counted by the primary (StreamQuotaHost in src/cluster/), asked over
 * the cluster's IPC channel. An answer that comes after the timeout (the stream was refused meanwhile)
 * gives its place back at once.
 */
export class PrimaryStreamQuota {
  private nextId = 0;
  private readonly waiting = new Map<number, Waiting>();

  constructor() {
    process.on('message', (message) => {
      if (isQuotaMessage(message) && message.op === 'verdict') this.onVerdict(message);
    });
  }

  take(holder: StreamHolder): Promise<QuotaRefusal | null> {
    return new Promise((resolve, reject) => {
      const id = (this.nextId += 1);
      const timer = setTimeout(() => {
        this.waiting.set(id, { holder }); // no one waits any more; a late place is given back
        reject(new Error('the cluster primary did not answer'));
      }, ANSWER_TIMEOUT_MS);
      const answer = (refusal: QuotaRefusal | null) => {
        clearTimeout(timer);
        resolve(refusal);
      };
      this.waiting.set(id, { holder, answer });
      this.send({ type: QUOTA_MESSAGE, op: 'take', id, holder });
    });
  }

  giveBack(holder: StreamHolder): void {
    this.send({ type: QUOTA_MESSAGE, op: 'give-back', holder });
  }

  private onVerdict(message: Extract<QuotaMessage, { op: 'verdict' }>): void {
    const waiting = this.waiting.get(message.id);
    this.waiting.delete(message.id);
    if (!waiting) return;
    if (waiting.answer) waiting.answer(message.refusal);
    else if (message.refusal === null) this.giveBack(waiting.holder);
  }

  private send(message: QuotaMessage): void {
    // Without the channel the worker is about to exit (node:cluster ends an orphaned worker).
    if (process.connected) process.send?.(message, undefined, {}, () => undefined);
  }
}
