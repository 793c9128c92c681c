import { Logger } from '@nestjs/common';
import { SaleEvents, type SaleEvent, type SaleEventListener } from './sale-events';

/**
 * In-process fan-out. Delivery is deferred to a microtask so a publish inside a request or a sweep
 * never runs subscriber code on its own stack, and a throwing subscriber is logged, not propagated.
 */
export class LocalSaleEvents extends SaleEvents {
  private readonly logger = new Logger('SaleEvents');
  private readonly listeners = new Set<SaleEventListener>();

  publish(event: SaleEvent): void {
    queueMicrotask(() => this.deliver(event));
  }

  subscribe(listener: SaleEventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Hands an event to this instance's subscribers, synchronously. */
  protected deliver(event: SaleEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (error) {
        this.logger.error(`a sale event subscriber failed: ${(error as Error).message}`);
      }
    }
  }
}
