import type { Parked } from './interleaver';

/** Whether two steps may not be swapped: they touch the same document and one of them writes it. */
export type Dependent = (a: Parked, b: Parked) => boolean;

interface Frame {
  waiting: Parked[];
  options: Parked[];
  index: number;
  sleep: Parked[];
}

const same = (a: Parked, b: Parked) => a.actor === b.actor && a.step === b.step;
const describeAll = (parked: Parked[]) => parked.map((p) => `${p.actor}:${p.step}`).join(',');

/**
 * Enumerates the orderings of the actors' steps by depth-first search, replaying each run from scratch.
 * With a dependency relation it runs one ordering per class of equivalent ones: orderings that differ only
 * by swapping adjacent independent steps reach the same database state, and sleep sets (Godefroid's
 * partial-order reduction) skip the copies. Without one (`null`) it runs every ordering.
 */
export class ScheduleExplorer {
  private readonly frames: Frame[] = [];
  private depth = 0;
  runs = 0;

  constructor(private readonly dependent: Dependent | null) {}

  /** Which waiting actor moves next in this run; null when the rest of the run repeats an earlier one. */
  next(waiting: Parked[]): Parked | null {
    let frame = this.frames[this.depth];
    if (frame && describeAll(frame.waiting) !== describeAll(waiting)) {
      throw new Error(
        `non-deterministic replay at step ${this.depth}: expected ${describeAll(frame.waiting)}, ` +
          `saw ${describeAll(waiting)}`,
      );
    }
    if (!frame) {
      const sleep = this.depth === 0 ? [] : this.sleepAfter(this.frames[this.depth - 1]);
      const options = waiting.filter((w) => !sleep.some((s) => same(s, w)));
      frame = { waiting, options, index: 0, sleep };
      this.frames.push(frame);
    }
    this.depth += 1;
    return frame.options[frame.index] ?? null;
  }

  /** Moves to the next unexplored ordering; false once all have run. */
  nextRun(): boolean {
    this.runs += 1;
    this.frames.length = Math.min(this.frames.length, this.depth);
    this.depth = 0;
    while (this.frames.length > 0) {
      const last = this.frames[this.frames.length - 1];
      if (last.index + 1 < last.options.length) {
        last.index += 1;
        return true;
      }
      this.frames.pop();
    }
    return false;
  }

  /** Steps already explored from the parent stay asleep in the child while nothing dependent ran. */
  private sleepAfter(parent: Frame): Parked[] {
    const chosen = parent.options[parent.index];
    const candidates = [...parent.sleep, ...parent.options.slice(0, parent.index)];
    return candidates.filter(
      (c) => c.actor !== chosen.actor && this.dependent !== null && !this.dependent(c, chosen),
    );
  }
}
