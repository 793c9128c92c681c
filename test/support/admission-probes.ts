import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DatabaseSteps, type StepPhase, type StepProbe } from '../../src/database/database-steps';

/** A database error the service answers 503 (as a connection lost under the command). */
export const lostConnection = () =>
  Object.assign(new Error('connection lost under the command'), { name: 'MongoNetworkError' });

/** An attempt's first write: the reservation (standalone) or the confirmed record (in a transaction). */
const HOLD_AFTER = ['purchases.reserve', 'purchases.insertConfirmed'];

/**
 * Holds every purchase attempt just after its first write
 * until the test lets it go on, or makes its take fail. `reached` lists the buyers in the order their
 * attempts reached the database, which is the order the admission gate let them in.
 */
export class HeldAttempts implements StepProbe {
  readonly reached: string[] = [];
  private readonly holds = new Map<string, () => void>();
  private failNextTake = false;

  async at(step: string, phase: StepPhase, result?: unknown): Promise<void> {
    if (step === 'sales.take' && phase === 'before' && this.failNextTake) {
      this.failNextTake = false;
      throw lostConnection();
    }
    if (!HOLD_AFTER.includes(step) || phase !== 'after') return;
    const buyer = String((result as { userId: unknown }).userId);
    this.reached.push(buyer);
    await new Promise<void>((resolve) => this.holds.set(buyer, resolve));
  }

  get held(): number {
    return this.holds.size;
  }

  /** Lets a held attempt take its unit. */
  proceed(buyer: string): void {
    this.release(buyer);
  }

  /** Lets a held attempt go on to a take that fails (standalone: its reservation is let go, nothing kept). */
  failTake(buyer: string): void {
    this.failNextTake = true;
    this.release(buyer);
  }

  private release(buyer: string): void {
    const resolve = this.holds.get(buyer);
    if (!resolve) throw new Error(`buyer ${buyer} is not held`);
    this.holds.delete(buyer);
    resolve();
  }
}

/**
 * Holds each reservation up to `holdMs` (all are let go at once when `crowd` are in), and records how
 * many attempts were in the database at once, over every app it is installed on (apps booted in the
 * test's process share it). Holding makes the crowd pile up at the bound, so a bound counted wrongly
 * shows as more attempts at once than it allows.
 */
export class ConcurrencyGauge implements StepProbe {
  now = 0;
  max = 0;
  private letGo: Array<() => void> = [];

  constructor(
    private readonly holdMs = 20,
    private readonly crowd = Infinity,
  ) {}

  install(...apps: NestFastifyApplication[]): this {
    for (const app of apps) app.get(DatabaseSteps).install(this);
    return this;
  }

  async at(step: string, phase: StepPhase): Promise<void> {
    if (step !== 'purchases.reserve') return;
    if (phase === 'after') {
      this.now -= 1;
      return;
    }
    this.now += 1;
    this.max = Math.max(this.max, this.now);
    if (this.now >= this.crowd) this.letGo.splice(0).forEach((resolve) => resolve());
    await new Promise<void>((resolve) => {
      this.letGo.push(resolve);
      setTimeout(resolve, this.holdMs);
    });
  }
}
