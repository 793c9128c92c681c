import { Logger } from '@nestjs/common';
import type { Connection } from 'mongoose';

/**
 * One log line when the database becomes unreachable and one when it is back, instead of a stack trace
 * per failed request in between (those requests get a plain 503 DATABASE_UNAVAILABLE). mongoose emits
 * `disconnected` when the driver loses the server (or the primary) and `reconnected` when it returns.
 */
export function reportOutages(connection: Connection, logger = new Logger('Database')): void {
  let down = false;
  connection.on('disconnected', () => {
    if (down || closing(connection)) return;
    down = true;
    logger.error(
      'The database is unreachable: requests that need it answer 503 DATABASE_UNAVAILABLE until it is back',
    );
  });
  const recovered = () => {
    if (!down) return;
    down = false;
    logger.log('The database is reachable again');
  };
  connection.on('reconnected', recovered);
  connection.on('connected', recovered);
}

/** A disconnect caused by our own shutdown is not an outage. */
const closing = (connection: Connection) =>
  (connection as Connection & { _closeCalled?: boolean })._closeCalled === true;
