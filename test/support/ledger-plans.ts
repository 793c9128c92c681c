import { Interleaver, type Fault, type Parked } from './interleaver';
import { buyer, farFuture, type LedgerLab } from './ledger-lab';
import { ScheduleExplorer, type Dependent } from './schedule-explorer';

/**
 * A family of interleavings: who acts, on what stock, with which failures, and where the enumeration of
 * orderings starts. Every ordering of the actors' database steps is run (one per class of equivalent
 * orderings), each from scratch on a fresh sale.
 */
export interface Plan {
  stock: number;
  /** The purchase attempts, by actor. Two actors of one buyer are a double click. */
  attempts: Record<string, { buyer: string; quantity: number }>;
  /**
   * The reconciler ticks, by actor (several are several instances'). Eager: every pending record counts
   * as abandoned. Atomic: the whole tick runs at one point of the ordering (between any two steps of
   * the others), which keeps two reconcilers' orderings countable.
   */
  reconcilers: Record<string, { eager: boolean; atomic?: boolean }>;
  /** Steps taken in this order before the enumeration starts (e.g. an attempt that took and died). */
  prelude?: Array<{ actor: string; steps: number }>;
  crash?: { actor: string; afterSteps: number };
  /** Failed commands (`before`) and lost replies (`after`). */
  faults?: Fault[];
  /** Each actor's clock, ahead or behind (ms): instances whose clocks disagree. */
  clocks?: Record<string, number>;
  /** Steps whose reply the actor gets late, after others moved (see Interleaver.lateReplies). */
  lateReplies?: string[];
  /** A and B are the same attempt by two buyers: orderings where B moves first mirror A's. */
  symmetric?: boolean;
}

const EVERYTHING = 'everything';

/**
 * What each step reads and writes, per cell: the sale; each buyer's record, seen as its pending and
 * its confirmed part (the reconciler's scans read one state across all records); the instance's
 * memory of the sale (what the next buyer is answered from). Two steps commute unless one writes what
 * the other reads or writes.
 */
function footprint(plan: Plan, { actor, step }: Parked): { reads: string[]; writes: string[] } {
  const buyers = [...new Set(Object.values(plan.attempts).map((a) => a.buyer))];
  if (plan.reconcilers[actor]?.atomic) return { reads: [EVERYTHING], writes: [EVERYTHING] };
  const mine = plan.attempts[actor] ? [plan.attempts[actor].buyer] : buyers;
  const pending = mine.map((b) => `pending:${b}`);
  const confirmed = mine.map((b) => `confirmed:${b}`);
  const all = (state: string) => buyers.map((b) => `${state}:${b}`);
  if (step.endsWith('.reply')) return { reads: [], writes: ['memory'] };
  switch (step) {
    case 'purchases.reserve':
    case 'purchases.deletePending':
      return { reads: [], writes: pending };
    case 'purchases.confirm':
      return { reads: [], writes: [...pending, ...confirmed, 'memory'] };
    case 'purchases.findAbandoned':
    case 'purchases.countPending':
      return { reads: all('pending'), writes: [] };
    case 'purchases.sumConfirmed':
      return { reads: all('confirmed'), writes: [] };
    case 'purchases.findById':
    case 'purchases.findBySaleAndUser':
      return { reads: [...pending, ...confirmed], writes: [] };
    case 'sales.findById': // the attempt remembers what it read
      return { reads: ['sale'], writes: ['memory'] };
    case 'sales.findAuditDue':
      return { reads: ['sale'], writes: [] };
    case 'transaction':
      return { reads: [], writes: ['sale', ...pending, ...confirmed, 'memory'] };
    default: // sales.take, sales.recount (and its event), lifecycle.*: every other step writes the sale
      return { reads: [], writes: ['sale', 'memory'] };
  }
}

/**
 * Memory is a cell only in plans that stage late replies: elsewhere every step's memory write follows its
 * database step at once, and tracking it would multiply the orderings run for nothing the plan stages.
 */
function footprintIn(plan: Plan, parked: Parked) {
  const cells = footprint(plan, parked);
  if (plan.lateReplies) return cells;
  return { reads: cells.reads, writes: cells.writes.filter((cell) => cell !== 'memory') };
}

function dependence(plan: Plan): Dependent {
  return (a, b) => {
    const x = footprintIn(plan, a);
    const y = footprintIn(plan, b);
    const hits = (writes: string[], cells: string[]) =>
      writes.some((w) => w === EVERYTHING || cells.includes(EVERYTHING) || cells.includes(w));
    return hits(x.writes, [...y.reads, ...y.writes]) || hits(y.writes, x.reads);
  };
}

/** Only a write to the sale or a confirm can raise `remaining + confirmed + held`: check after those. */
const mayOversell = (plan: Plan, p: Parked) =>
  p.step === 'purchases.confirm' ||
  footprint(plan, p).writes.some((w) => w === 'sale' || w === EVERYTHING);

/** One run of a plan along the explorer's next ordering; false when the run repeated an earlier one. */
async function runOnce(lab: LedgerLab, plan: Plan, explorer: ScheduleExplorer) {
  const saleId = await lab.openSale(plan.stock);
  const il = new Interleaver();
  for (const step of plan.lateReplies ?? []) il.lateReplies.add(step);
  for (const fault of plan.faults ?? []) il.inject(fault);
  lab.steps.install(il);
  const buyers = new Map<string, ReturnType<typeof buyer>>();
  const users = Object.fromEntries(
    Object.entries(plan.attempts).map(([actor, { buyer: name }]) => {
      if (!buyers.has(name)) buyers.set(name, buyer(name));
      return [actor, buyers.get(name)!];
    }),
  );
  const quantities = Object.fromEntries(
    Object.entries(plan.attempts).map(([actor, { quantity }]) => [actor, quantity]),
  );
  // The wall clock is staged: one millisecond per step. A plan with clocks sets each actor's own
  // before its step; such plans must run in one lane at a time, since the clock is the process's.
  let base = Date.now();
  const clockOf = (actor: string) => {
    if (plan.clocks) jest.setSystemTime(base + (plan.clocks[actor] ?? 0));
  };
  const moves: Record<string, number> = {};
  for (const [actor, { quantity }] of Object.entries(plan.attempts)) {
    moves[actor] = 0;
    clockOf(actor);
    await il.start(actor, () => lab.service.purchase(users[actor], saleId.toHexString(), quantity));
  }
  for (const [actor, { eager }] of Object.entries(plan.reconcilers)) {
    moves[actor] = 0;
    clockOf(actor);
    await il.start(actor, () => lab.reconciler.reconcile(eager ? farFuture() : new Date()));
  }
  const step = async (actor: string) => {
    clockOf(actor);
    if (plan.reconcilers[actor]?.atomic) await il.runToEnd(actor);
    else await il.advance(actor);
    base += 1;
    if (!plan.clocks) jest.setSystemTime(Date.now() + 1);
    moves[actor] += 1;
  };
  const crashIfDue = () => {
    if (plan.crash && moves[plan.crash.actor] === plan.crash.afterSteps) il.crash(plan.crash.actor);
  };
  for (const { actor, steps } of plan.prelude ?? []) {
    for (let i = 0; i < steps; i += 1) {
      crashIfDue();
      await step(actor);
    }
  }
  let complete = true;
  for (;;) {
    crashIfDue();
    const mirrored = plan.symmetric && (!plan.crash || !plan.attempts[plan.crash.actor]);
    const waiting = il
      .waiting()
      .filter((p) => !mirrored || p.actor !== 'B' || moves.A + moves.B > 0);
    if (waiting.length === 0) break;
    const choice = explorer.next(waiting);
    if (!choice) {
      complete = false; // sleeping: equivalent to an ordering already run
      break;
    }
    await step(choice.actor);
    if (mayOversell(plan, choice)) {
      await lab.expectNoUnitSellableTwice(saleId, il, quantities, users);
    }
  }
  if (plan.clocks) jest.setSystemTime(base);
  if (complete) {
    await lab.expectMemoryNotStale(saleId);
    await lab.expectBalancedWhenQuiet(saleId, il, users, quantities);
  }
  await lab.cleanUp(saleId, il);
  return complete;
}

/** Runs every ordering of a plan (one per equivalence class); a failure names the plan. */
export async function explore(lab: LedgerLab, label: string, plan: Plan) {
  const explorer = new ScheduleExplorer(dependence(plan));
  let complete = 0;
  try {
    do {
      if (await runOnce(lab, plan, explorer)) complete += 1;
    } while (explorer.nextRun());
  } catch (error) {
    (error as Error).message = `${label}: ${(error as Error).message}`;
    throw error;
  }
  return { runs: explorer.runs, complete };
}
