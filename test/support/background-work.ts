import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { PurchaseReconciler } from '../../src/purchases/purchase-reconciler';
import { SaleLifecycleService } from '../../src/sales/sale-lifecycle.service';

export interface BackgroundWork {
  /** From now on the sweep and the reconciler skip their runs; resolves once a run in flight is over. */
  hold(): Promise<void>;
  release(): void;
}

/**
 * Lets a test hold the app's background actors (the status sweep every second, the reconciler), so every
 * database command it then sees comes from the requests it sent. Call it right after the app starts, so
 * that a run already in flight when the test asks for quiet is known and awaited.
 */
export function controlBackgroundWork(app: NestFastifyApplication): BackgroundWork {
  let held = false;
  const inFlight = new Set<Promise<unknown>>();
  const track = <T>(run: Promise<T>): Promise<T> => {
    inFlight.add(run);
    const forget = () => inFlight.delete(run);
    void run.then(forget, forget);
    return run;
  };

  const lifecycle = app.get(SaleLifecycleService);
  const advance = lifecycle.advance.bind(lifecycle);
  jest
    .spyOn(lifecycle, 'advance')
    .mockImplementation((now) =>
      held
        ? Promise.resolve({ ended: 0, activated: 0, soldOut: 0, reopened: 0 })
        : track(advance(now)),
    );

  const reconciler = app.get(PurchaseReconciler);
  const reconcile = reconciler.reconcile.bind(reconciler);
  jest
    .spyOn(reconciler, 'reconcile')
    .mockImplementation((now) =>
      held
        ? Promise.resolve({ abandoned: 0, recounted: 0, verified: 0, deferred: 0 })
        : track(reconcile(now)),
    );

  return {
    hold: async () => {
      held = true;
      await Promise.allSettled([...inFlight]);
    },
    release: () => {
      held = false;
    },
  };
}
