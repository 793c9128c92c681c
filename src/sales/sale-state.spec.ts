import { effectiveStatus, purchaseBlock, type SaleTimes } from './sale-state';

const T = new Date('2030-01-01T10:00:00.000Z');
const at = (ms: number) => new Date(T.getTime() + ms);

function sale(overrides: Partial<SaleTimes> = {}): SaleTimes {
  return {
    status: 'scheduled',
    startTime: T,
    endTime: at(60_000),
    remainingQuantity: 10,
    ...overrides,
  };
}

describe('sale state', () => {
  describe('effectiveStatus', () => {
    it('is scheduled before startTime and active from startTime, whatever the stored status says', () => {
      expect(effectiveStatus(sale(), at(-1))).toBe('scheduled');
      expect(effectiveStatus(sale(), at(0))).toBe('active');
      expect(effectiveStatus(sale({ status: 'scheduled' }), at(1))).toBe('active');
    });

    it('is ended from endTime on, or once stored as ended', () => {
      expect(effectiveStatus(sale(), at(59_999))).toBe('active');
      expect(effectiveStatus(sale(), at(60_000))).toBe('ended');
      expect(effectiveStatus(sale({ status: 'ended' }), at(1))).toBe('ended');
    });

    it('never ends a sale without endTime', () => {
      expect(effectiveStatus(sale({ endTime: null }), at(10 ** 12))).toBe('active');
    });

    it('is sold_out with no stock left, and active again if units come back', () => {
      expect(effectiveStatus(sale({ remainingQuantity: 0, status: 'active' }), at(1))).toBe(
        'sold_out',
      );
      expect(effectiveStatus(sale({ remainingQuantity: 2, status: 'sold_out' }), at(1))).toBe(
        'active',
      );
    });

    it('reports ended over sold_out once the window has closed', () => {
      expect(effectiveStatus(sale({ remainingQuantity: 0 }), at(60_000))).toBe('ended');
    });
  });

  describe('purchaseBlock', () => {
    it('blocks one millisecond before startTime and allows exactly at it, without the scheduler', () => {
      expect(purchaseBlock(sale(), at(-1), 1)).toBe('SALE_NOT_STARTED');
      expect(purchaseBlock(sale(), at(0), 1)).toBeNull();
      expect(purchaseBlock(sale(), at(1), 1)).toBeNull();
    });

    it('blocks from endTime on even when the stored status still says active', () => {
      expect(purchaseBlock(sale({ status: 'active' }), at(59_999), 1)).toBeNull();
      expect(purchaseBlock(sale({ status: 'active' }), at(60_000), 1)).toBe('SALE_ENDED');
    });

    it('tells sold out from insufficient stock', () => {
      expect(purchaseBlock(sale({ remainingQuantity: 0 }), at(1), 1)).toBe('SOLD_OUT');
      expect(purchaseBlock(sale({ remainingQuantity: 2 }), at(1), 3)).toBe('INSUFFICIENT_STOCK');
      expect(purchaseBlock(sale({ remainingQuantity: 3 }), at(1), 3)).toBeNull();
    });

    it('answers the time rule before the stock rule', () => {
      expect(purchaseBlock(sale({ remainingQuantity: 0 }), at(-1), 1)).toBe('SALE_NOT_STARTED');
      expect(purchaseBlock(sale({ remainingQuantity: 0 }), at(60_000), 1)).toBe('SALE_ENDED');
    });
  });
});
