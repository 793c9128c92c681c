import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { getConnectionToken } from '@nestjs/mongoose';
import type { CommandStartedEvent, CommandSucceededEvent } from 'mongodb';
import mongoose, { type Connection, type ConnectOptions } from 'mongoose';
import { createTestApp } from './test-app';

/**
 * Boots a test app whose database client reports every command it sends (the driver's command
 * monitoring). The option must be there when the client connects, so it is added to the one connection
 * @nestjs/mongoose opens during boot; product code stays as it is.
 */
export async function createMonitoredTestApp(
  database: string,
  env: Record<string, string> = {},
): Promise<NestFastifyApplication> {
  const createConnection = mongoose.createConnection.bind(mongoose);
  const spy = jest
    .spyOn(mongoose, 'createConnection')
    .mockImplementation(((uri: string, options?: ConnectOptions) =>
      createConnection(uri, { ...options, monitorCommands: true })) as never);
  try {
    return await createTestApp(database, env);
  } finally {
    spy.mockRestore();
  }
}

export interface CommandLog {
  /** The commands started since the last call, as `<command> <collection>` (e.g. `insert purchases`). */
  take(): string[];
  /** Documents returned (find and getMore batches) since the last take(), per collection. */
  documentsReturned(collection: string): number;
  stop(): void;
}

/** Records every command the app's client starts, from now until stop(). */
export function recordCommands(app: NestFastifyApplication): CommandLog {
  const client = app.get<Connection>(getConnectionToken()).getClient();
  let commands: string[] = [];
  const collections = new Map<number, string>();
  const returned = new Map<string, number>();
  const listener = (event: CommandStartedEvent) => {
    const collection = String(event.command[event.commandName]);
    commands.push(`${event.commandName} ${collection}`);
    collections.set(event.requestId, event.commandName === 'getMore' ? '' : collection);
  };
  const succeeded = (event: CommandSucceededEvent) => {
    const reply = event.reply as {
      cursor?: { ns?: string; firstBatch?: unknown[]; nextBatch?: unknown[] };
    };
    const batch = reply.cursor?.firstBatch ?? reply.cursor?.nextBatch;
    const collection =
      collections.get(event.requestId) || (reply.cursor?.ns ?? '').split('.').slice(1).join('.');
    collections.delete(event.requestId);
    if (batch) returned.set(collection, (returned.get(collection) ?? 0) + batch.length);
  };
  client.on('commandStarted', listener);
  client.on('commandSucceeded', succeeded);
  return {
    take: () => {
      const taken = commands;
      commands = [];
      returned.clear();
      return taken;
    },
    documentsReturned: (collection) => returned.get(collection) ?? 0,
    stop: () => {
      client.off('commandStarted', listener);
      client.off('commandSucceeded', succeeded);
    },
  };
}
