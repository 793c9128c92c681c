import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { getConnectionToken } from '@nestjs/mongoose';
import type { CommandStartedEvent } from 'mongodb';
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
  stop(): void;
}

/** Records every command the app's client starts, from now until stop(). */
export function recordCommands(app: NestFastifyApplication): CommandLog {
  const client = app.get<Connection>(getConnectionToken()).getClient();
  let commands: string[] = [];
  const listener = (event: CommandStartedEvent) => {
    commands.push(`${event.commandName} ${String(event.command[event.commandName])}`);
  };
  client.on('commandStarted', listener);
  return {
    take: () => {
      const taken = commands;
      commands = [];
      return taken;
    },
    stop: () => client.off('commandStarted', listener),
  };
}
