import { Logger } from '@nestjs/common';
import { clientGone, queueFull, waitExpired } from './admission-errors';
import type { MaybeLater, Place, PlaceCounter } from './place-counter';
import { SaleLine, type Waiter } from './sale-line';

export interface AdmissionSettings {
  enabled: boolean;
  margin: number;
  /** A cap on a sale's attempts in flight whatever its stock: the database's queue stays short. */
  maxInFlight: number;
  queueCap: number;
  maxWaitMs: number;
  /** An admitted attempt that has not ended after this long gives its place back anyway. */
  holdTimeoutMs: number;
}

/** What memory knows of the sale now: an error is the attempt's certain refusal. */
export type Recheck = () => MaybeLater<Error | { remainingQuantity: number }>;

export interface Attempt {
  saleId: string;
  quantity: number;
  /** Judges the attempt again from memory when it reaches the head of the line. */
  recheck: Recheck;
  /** Aborted when the client disconnects: a waiter leaves at once, and nothing reaches the database. */
  clientGone?: AbortSignal;
}

interface WaitingAttempt extends Waiter {
  attempt: Attempt;
  admit(place: Place): void;
  refuse(error: Error): void;
}

interface Hold {
  place: Place;
  released: boolean;
  timer: NodeJS.Timeout;
}

type Step = 'next' | 'blocked';

/** After a pass found every place taken, look again this soon (places freed on other instances). */
const RETRY_BLOCKED_MS = 20;

/**
 * Admission per sale: while a sale has stock, at most `min(stock + margin, maxInFlight)` purchase attempts are in flight
 * to the database; the others wait in the sale's line, in arrival order, and are admitted as places
 * free up. A waiter reaching the head is judged again from memory first, so once the attempts in flight
 * have sold the stock the whole line hears SOLD_OUT (or ALREADY_PURCHASED) without a database command.
 * Waiting is bounded (a cap per sale, a longest wait), and a client that leaves leaves the line. The
 * gate only ever holds attempts back: the database's conditional take still judges every purchase.
 * docs/purchase-algorithm.md, "The admission gate".
 */
export class AdmissionGate {
  private readonly logger = new Logger('AdmissionGate');
  private readonly lines = new Map<string, SaleLine<WaitingAttempt>>();

  constructor(
    private readonly counter: PlaceCounter,
    private readonly settings: AdmissionSettings,
  ) {}

  /**
   * Runs `work` (the attempt's database work) once admitted, and gives the place back however it ends:
   * an answer, a refusal, an error, or its hold timing out. A client gone by then costs no command.
   */
  async run<T>(attempt: Attempt, work: () => Promise<T>): Promise<T> {
    if (attempt.clientGone?.aborted) throw clientGone();
    if (!this.settings.enabled) return work();
    const hold = this.hold(await this.admit(attempt));
    if (attempt.clientGone?.aborted) {
      this.release(hold, 0);
      throw clientGone();
    }
    let soldUnits = 0;
    try {
      const result = await work();
      soldUnits = attempt.quantity;
      return result;
    } finally {
      this.release(hold, soldUnits);
    }
  }

  /** The database's count at a quiet moment (the reconciler). */
  recount(saleId: string, remaining: number): void {
    this.counter.recount(saleId, remaining);
  }

  /** Attempts waiting for a sale on this instance. */
  waiting(saleId: string): number {
    return this.lines.get(saleId)?.waiting ?? 0;
  }

  private admit(attempt: Attempt): Promise<Place> {
    const line = this.lineOf(attempt.saleId);
    if (line.waiting >= this.settings.queueCap) return Promise.reject(queueFull());
    return new Promise<Place>((resolve, reject) => {
      const onGone = () => leave(clientGone());
      const timer = setTimeout(() => leave(waitExpired()), this.settings.maxWaitMs);
      const settle = () => {
        waiter.settled = true;
        line.left();
        clearTimeout(timer);
        attempt.clientGone?.removeEventListener('abort', onGone);
      };
      const leave = (error: Error) => {
        if (waiter.settled) return;
        settle();
        reject(error);
        this.forgetIfIdle(attempt.saleId, line);
      };
      const waiter: WaitingAttempt = {
        settled: false,
        attempt,
        admit: (place) => {
          settle();
          resolve(place);
        },
        refuse: (error) => {
          settle();
          reject(error);
        },
      };
      attempt.clientGone?.addEventListener('abort', onGone, { once: true });
      line.push(waiter);
      this.pump(attempt.saleId, line);
    });
  }

  /** One pass at a time per line; a release during a pass that awaits something asks for another. */
  private pump(saleId: string, line: SaleLine<WaitingAttempt>): void {
    if (line.pumping) {
      line.pumpAgain = true;
      return;
    }
    line.pumping = true;
    line.pumpAgain = false;
    this.pass(saleId, line);
  }

  /**
   * Judges and admits waiters from the head until one finds no place. Only the head takes a place, so
   * places follow arrival order; a head that memory refuses is answered, and the next one judged. Runs
   * synchronously while memory and the count answer at once (one instance: the whole pass is one turn
   * of the event loop, so arrival order is exactly admission order), and resumes after a round trip.
   */
  private pass(saleId: string, line: SaleLine<WaitingAttempt>): void {
    for (let head = line.peek(); head; head = line.peek()) {
      const step = this.step(head);
      if (step instanceof Promise) {
        step.then(
          (outcome) =>
            outcome === 'blocked' ? this.endPass(saleId, line, true) : this.pass(saleId, line),
          (error: Error) => {
            this.logger.error(`admission pass failed: ${error.message}`);
            this.endPass(saleId, line, true);
          },
        );
        return;
      }
      if (step === 'blocked') return this.endPass(saleId, line, true);
    }
    this.endPass(saleId, line, false);
  }

  private endPass(saleId: string, line: SaleLine<WaitingAttempt>, blocked: boolean): void {
    line.pumping = false;
    if (line.pumpAgain) return this.pump(saleId, line);
    if (blocked) this.retryLater(saleId, line);
    this.forgetIfIdle(saleId, line);
  }

  /** The head judged again, then given a place if there is one. */
  private step(head: WaitingAttempt): Step | Promise<Step> {
    let judged: ReturnType<Recheck>;
    try {
      judged = head.attempt.recheck();
    } catch (error) {
      judged = error as Error;
    }
    return judged instanceof Promise
      ? judged.then(
          (view) => this.judged(head, view),
          (error: Error) => this.judged(head, error),
        )
      : this.judged(head, judged);
  }

  private judged(head: WaitingAttempt, view: Error | { remainingQuantity: number }) {
    if (head.settled) return 'next'; // left while it was judged
    if (view instanceof Error) {
      head.refuse(view);
      return 'next';
    }
    const taken = this.counter.take(head.attempt.saleId, view.remainingQuantity, this.settings);
    return taken instanceof Promise
      ? taken.then((place) => this.placed(head, place))
      : this.placed(head, taken);
  }

  private placed(head: WaitingAttempt, place: Place | null): Step {
    if (!place) return 'blocked';
    if (head.settled) this.counter.give(place, 0);
    else head.admit(place);
    return 'next';
  }

  /** Places free up on other instances too, which send no word: look again shortly. */
  private retryLater(saleId: string, line: SaleLine<WaitingAttempt>): void {
    if (line.retryTimer) return;
    line.retryTimer = setTimeout(() => {
      line.retryTimer = undefined;
      this.pump(saleId, line);
    }, RETRY_BLOCKED_MS);
  }

  private hold(place: Place): Hold {
    const hold: Hold = {
      place,
      released: false,
      // A stuck attempt (a hung database call) gives its place back after a bounded time.
      timer: setTimeout(() => this.release(hold, 0), this.settings.holdTimeoutMs).unref(),
    };
    return hold;
  }

  private release(hold: Hold, soldUnits: number): void {
    if (hold.released) return;
    hold.released = true;
    clearTimeout(hold.timer);
    this.counter.give(hold.place, soldUnits);
    const line = this.lines.get(hold.place.saleId);
    if (line) this.pump(hold.place.saleId, line);
  }

  private lineOf(saleId: string): SaleLine<WaitingAttempt> {
    let line = this.lines.get(saleId);
    if (!line) {
      line = new SaleLine<WaitingAttempt>();
      this.lines.set(saleId, line);
    }
    return line;
  }

  private forgetIfIdle(saleId: string, line: SaleLine<WaitingAttempt>): void {
    if (line.idle && this.lines.get(saleId) === line) this.lines.delete(saleId);
  }
}
