import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { getConnectionToken } from '@nestjs/mongoose';
import type { CommandStartedEvent } from 'mongodb';
import type { Connection } from 'mongoose';
import { createSale } from './factories/catalog.factory';
import { registerUser } from './factories/users.factory';
import { createMonitoredTestApp } from './support/command-log';
import { adminToken, databaseUri, http, uniqueDatabaseName } from './support/test-app';

/** Every write command the app's client sends while `work` runs, as `<command> <collection>` and its w. */
async function writesDuring(app: NestFastifyApplication, work: () => Promise<unknown>) {
  const client = app.get<Connection>(getConnectionToken()).getClient();
  const writes: Array<{ command: string; w: unknown }> = [];
  const listener = (event: CommandStartedEvent) => {
    if (!['insert', 'update', 'delete', 'findAndModify'].includes(event.commandName)) return;
    const command = `${event.commandName} ${String(event.command[event.commandName])}`;
    writes.push({ command, w: (event.command.writeConcern as { w?: unknown } | undefined)?.w });
  };
  client.on('commandStarted', listener);
  try {
    await work();
  } finally {
    client.off('commandStarted', listener);
  }
  return writes;
}

/**
 * The ledger's write concern (LEDGER_WRITE_CONCERN) reaches every write of a purchase, whatever
 * MONGO_URI asks for, and only the ledger's: other collections keep the URI's `w`.
 */
describe('the ledger write concern (e2e)', () => {
  let app: NestFastifyApplication;

  afterEach(() => app?.close());

  async function purchaseWrites(env: Record<string, string>) {
    const database = uniqueDatabaseName();
    app = await createMonitoredTestApp(database, {
      MONGO_URI: `${databaseUri(database)}?w=1&readPreference=secondaryPreferred`,
      // The writes outside transactions: a transaction's commit carries its own (majority).
      MONGO_TRANSACTIONS: 'off',
      ...env,
    });
    const sale = await createSale(app, await adminToken(app), { totalQuantity: 5 });
    return writesDuring(app, async () => {
      const buyer = await registerUser(app);
      await http(app)
        .post(`/api/sales/${sale.id}/purchase`)
        .auth(buyer.token, { type: 'bearer' })
        .send({ quantity: 1 })
        .expect(201);
    });
  }

  it('LEDGER_WRITE_CONCERN=majority: every ledger write of a purchase carries w:majority, the user insert the URI w:1', async () => {
    const writes = await purchaseWrites({ LEDGER_WRITE_CONCERN: 'majority' });
    const ledger = writes.filter((write) => /\b(sales|purchases)$/.test(write.command));
    expect(ledger.map((write) => write.command)).toEqual(
      expect.arrayContaining(['findAndModify sales', 'update purchases']),
    );
    expect(ledger.filter((write) => write.w !== 'majority')).toEqual([]);
    expect(writes.find((write) => write.command === 'insert users')).toMatchObject({ w: 1 });
  });

  it('empty (the default) on a standalone: the ledger writes with the server default, as the URI says', async () => {
    // The run's engine decides what "empty" means; on a replica set it is majority.
    const writes = await purchaseWrites({});
    const ledger = writes.filter((write) => /\b(sales|purchases)$/.test(write.command));
    const standalone = process.env.TEST_DB_TOPOLOGY === 'standalone';
    expect(new Set(ledger.map((write) => write.w))).toEqual(new Set([standalone ? 1 : 'majority']));
  });
});
