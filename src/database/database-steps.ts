import { Injectable } from '@nestjs/common';

export type StepPhase = 'before' | 'after';

/**
 * What a test installs to stage an interleaving: called just before and just after each named database
 * step, it may hold the caller (await), make the step fail (throw before it), lose its reply (throw
 * after it), or crash the caller (never resolve).
 */
export interface StepProbe {
  at(step: string, phase: StepPhase, result?: unknown): void | Promise<void>;
}

/**
 * Names every database command of the ledger (purchase attempts, the reconciler, the scheduler), so that
 * tests can hold any actor between any two of its steps. Without a probe, which is always the case
 * outside tests, a step is just its command.
 */
@Injectable()
export class DatabaseSteps {
  private probe: StepProbe | null = null;

  install(probe: StepProbe | null): void {
    this.probe = probe;
  }

  run<T>(step: string, command: () => Promise<T>): Promise<T> {
    return this.probe === null ? command() : this.probed(this.probe, step, command);
  }

  private async probed<T>(probe: StepProbe, step: string, command: () => Promise<T>): Promise<T> {
    await probe.at(step, 'before');
    const result = await command();
    await probe.at(step, 'after', result);
    return result;
  }
}
