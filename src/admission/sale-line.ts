/** An attempt waiting for its turn. `settle` ends its wait once (admitted, refused, expired or gone). */
export interface Waiter {
  settled: boolean;
}

/**
 * One sale's waiting attempts in arrival order. A waiter that leaves early (expired, client gone) is
 * only marked settled and skipped when it reaches the head, so leaving costs O(1) and the order of the
 * others never changes.
 */
export class SaleLine<W extends Waiter> {
  private items: W[] = [];
  private head = 0;
  /** Waiters not yet settled. */
  waiting = 0;
  /** A pass over the line is running (it may await a round trip); releases meanwhile ask for another. */
  pumping = false;
  pumpAgain = false;
  retryTimer: NodeJS.Timeout | undefined;

  push(waiter: W): void {
    this.items.push(waiter);
    this.waiting += 1;
  }

  /** The first waiter still waiting, or undefined. */
  peek(): W | undefined {
    while (this.head < this.items.length && this.items[this.head].settled) this.head += 1;
    if (this.head > 1_024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return this.items[this.head];
  }

  /** Call when a waiter settles, wherever it stands. */
  left(): void {
    this.waiting -= 1;
  }

  get idle(): boolean {
    return this.waiting === 0 && !this.pumping && this.retryTimer === undefined;
  }
}
