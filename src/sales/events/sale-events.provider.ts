import type { Provider } from '@nestjs/common';
import { RedisConnections } from '../../redis/redis-connections';
import { LocalSaleEvents } from './local-sale-events';
import { RedisSaleEvents } from './redis-sale-events';
import { SaleEvents } from './sale-events';

/** Redis fan-out when REDIS_URL is set, in-process otherwise. */
export const saleEventsProvider: Provider = {
  provide: SaleEvents,
  inject: [RedisConnections],
  useFactory: (connections: RedisConnections): SaleEvents => {
    const publisher = connections.open('events-pub');
    const subscriber = connections.open('events-sub', { queueWhileOffline: true });
    return publisher && subscriber
      ? new RedisSaleEvents(publisher, subscriber, connections.channel('sale-events'))
      : new LocalSaleEvents();
  },
};
