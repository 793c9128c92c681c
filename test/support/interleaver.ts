import { AsyncLocalStorage } from 'node:async_hooks';
import type { StepPhase, StepProbe } from '../../src/database/database-steps';

export type Settled = { ok: true; value: unknown } | { ok: false; error: unknown };

/** A database step an actor is parked in front of. */
export interface Parked {
  actor: string;
  step: string;
}

/** Makes one step of one actor fail: before it is applied, or after (the reply is lost). */
export interface Fault {
  actor: string;
  step: string;
  phase: StepPhase;
}

/** Thrown at every step an actor tries once its run is over, so it settles without touching the database. */
export class RunOver extends Error {}

/** What a dropped connection looks like to the app: the error filter maps it to a 503. */
export class InjectedNetworkError extends Error {
  override readonly name = 'MongoNetworkError';

  constructor(
    message: string,
    readonly phase: StepPhase,
  ) {
    super(message);
  }
}

/**
 * Which actor of which run the current async context belongs to. One storage for all runs: node keeps
 * every AsyncLocalStorage ever enabled and visits each one on every async operation, so one per run
 * would make thousands of runs slower and slower.
 */
const context = new AsyncLocalStorage<{ run: Interleaver; actor: string }>();

/**
 * Runs `work` as no actor: its steps pass straight through. A model of a transaction runs its inside so,
 * as one step of its actor (it commits all at once or not at all).
 */
export const untraced = <T>(work: () => Promise<T>): Promise<T> => context.exit(work);

/**
 * Stages interleavings of actors (purchase attempts, a reconciler tick, a scheduler sweep) that run the
 * real service code against the real database. Each actor runs in its own async context; installed as
 * the app's step probe, this parks every actor in front of each of its database steps until the test
 * lets exactly that actor take exactly that step. Calls from outside any actor pass straight through.
 */
export class Interleaver implements StepProbe {
  private readonly parked = new Map<string, { step: string; release: () => void }>();
  private readonly wakeups = new Map<string, () => void>();
  private readonly crashed = new Set<string>();
  private faults: Fault[] = [];
  /**
   * Steps whose reply reaches the actor late: it parks again after the command ran, at `<step>.reply`,
   * so other actors can move between the database's answer and what the actor does with it.
   */
  readonly lateReplies = new Set<string>();
  private over = false;
  private readonly actors: Array<Promise<void>> = [];
  readonly settled = new Map<string, Settled>();
  /** Results of the steps each actor completed, in order: `[step, result]`. */
  readonly completed = new Map<string, Array<[string, unknown]>>();

  inject(fault: Fault): void {
    this.faults.push(fault);
  }

  /** Starts an actor and waits until it parks in front of its first step (or finishes). */
  async start(actor: string, work: () => Promise<unknown>): Promise<void> {
    const moved = this.movement(actor);
    this.completed.set(actor, []);
    this.actors.push(
      context.run({ run: this, actor }, work).then(
        (value) => this.finish(actor, { ok: true, value }),
        (error: unknown) => this.finish(actor, { ok: false, error }),
      ),
    );
    await moved;
  }

  /** Actors waiting in front of a step, in a stable order. */
  waiting(): Parked[] {
    return [...this.parked.entries()]
      .filter(([actor]) => !this.crashed.has(actor))
      .map(([actor, { step }]) => ({ actor, step }))
      .sort((a, b) => a.actor.localeCompare(b.actor));
  }

  /** Lets `actor` take the step it is parked at, and waits until it parks again or finishes. */
  async advance(actor: string): Promise<void> {
    const gate = this.parked.get(actor);
    if (!gate || this.crashed.has(actor)) throw new Error(`${actor} is not waiting at a step`);
    this.parked.delete(actor);
    const moved = this.movement(actor);
    gate.release();
    await moved;
  }

  /** The actor dies where it stands: it never takes another step (as after a SIGKILL). */
  crash(actor: string): void {
    this.crashed.add(actor);
  }

  /**
   * Ends the run: every actor still waiting (crashed ones too) is let go into a failure at each step it
   * tries, and settles without touching the database, so nothing of this run lingers into the next.
   */
  async abandon(): Promise<void> {
    this.over = true;
    for (const gate of this.parked.values()) gate.release();
    this.parked.clear();
    await Promise.all(this.actors);
  }

  async runToEnd(actor: string): Promise<void> {
    while (this.parked.has(actor) && !this.crashed.has(actor)) await this.advance(actor);
  }

  async at(step: string, phase: StepPhase, result?: unknown): Promise<void> {
    const store = context.getStore();
    if (store?.run !== this) return;
    const { actor } = store;
    if (this.over) throw new RunOver();
    if (phase === 'after') {
      this.completed.get(actor)!.push([step, result]);
      if (this.lateReplies.has(step)) await this.park(actor, `${step}.reply`);
      this.failIfInjected(actor, step, phase);
      return;
    }
    await this.park(actor, step);
    this.failIfInjected(actor, step, phase);
  }

  private async park(actor: string, step: string): Promise<void> {
    await new Promise<void>((release) => {
      this.parked.set(actor, { step, release });
      this.wake(actor);
    });
    if (this.over) throw new RunOver();
  }

  private failIfInjected(actor: string, step: string, phase: StepPhase): void {
    const index = this.faults.findIndex(
      (f) => f.actor === actor && f.step === step && f.phase === phase,
    );
    if (index < 0) return;
    this.faults.splice(index, 1);
    throw new InjectedNetworkError(
      `injected: ${step} ${phase === 'before' ? 'failed' : 'reply lost'}`,
      phase,
    );
  }

  private finish(actor: string, outcome: Settled): void {
    this.settled.set(actor, outcome);
    this.wake(actor);
  }

  private movement(actor: string): Promise<void> {
    return new Promise((resolve) => this.wakeups.set(actor, resolve));
  }

  private wake(actor: string): void {
    const wakeup = this.wakeups.get(actor);
    this.wakeups.delete(actor);
    wakeup?.();
  }
}
