import { Logger } from '@nestjs/common';
import { LocalSaleEvents } from './local-sale-events';
import type { SaleEvent } from './sale-events';

const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('LocalSaleEvents', () => {
  it('delivers each publish once to every subscriber, after the publisher has returned', async () => {
    const bus = new LocalSaleEvents();
    const a: SaleEvent[] = [];
    const b: SaleEvent[] = [];
    bus.subscribe((event) => a.push(event));
    bus.subscribe((event) => b.push(event));
    bus.publish({ saleId: 's1', kind: 'activated' });
    expect(a).toEqual([]); // not on the publisher's stack
    await flush();
    expect(a).toEqual([{ saleId: 's1', kind: 'activated' }]);
    expect(b).toEqual(a);
  });

  it('stops delivering after unsubscribe, and a throwing subscriber does not stop the others', async () => {
    const logged = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const bus = new LocalSaleEvents();
    const seen: string[] = [];
    bus.subscribe(() => {
      throw new Error('subscriber bug');
    });
    const unsubscribe = bus.subscribe((event) => seen.push(event.kind));
    bus.publish({ saleId: 's1', kind: 'purchase' });
    await flush();
    unsubscribe();
    bus.publish({ saleId: 's1', kind: 'ended' });
    await flush();
    expect(seen).toEqual(['purchase']);
    expect(logged).toHaveBeenCalledWith('a sale event subscriber failed: subscriber bug');
    logged.mockRestore();
  });
});
