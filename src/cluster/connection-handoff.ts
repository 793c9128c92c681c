import cluster, { type Worker } from 'node:cluster';

/** What node:cluster's primary sends with a new connection, and what a worker answers it with. */
interface ClusterMessage {
  cmd?: unknown;
  act?: unknown;
  seq?: unknown;
  ack?: unknown;
}

interface ConnectionHandle {
  close(): void;
}

const isClusterMessage = (message: unknown): message is ClusterMessage =>
  typeof message === 'object' &&
  message !== null &&
  (message as ClusterMessage).cmd === 'NODE_CLUSTER';

/** Worker.state is set by node:cluster but missing from @types/node. */
const isListening = (worker: Worker) =>
  (worker as Worker & { state?: string }).state === 'listening';

/**
 * node:cluster's round-robin primary accepts every connection and sends it to a free worker, keeping its
 * own copy until the worker answers that it took it; only then does it close that copy. A worker killed
 * (or crashed) between the two never answers, and node forgets the connection: the client stays
 * connected to the primary's copy, unanswered, until it gives up itself (issue 18: 1 of 400 connections
 * under load, one for 200 s). Node's own answer to a worker that declines a connection is to hand it to
 * another worker, so when a worker is gone, each connection still on its way to it is declined in its
 * name; with no other worker left it is closed, so the client hears at once.
 */
export function handOnConnectionsOfDeadWorker(worker: Worker): void {
  const child = worker.process;
  const inFlight = new Map<number, ConnectionHandle>();
  const send = child.send.bind(child) as (...args: unknown[]) => boolean;
  child.send = (...args: unknown[]) => {
    const [message, handle] = args;
    if (isClusterMessage(message) && message.act === 'newconn' && typeof message.seq === 'number')
      inFlight.set(message.seq, handle as ConnectionHandle);
    return send(...args);
  };
  child.on('internalMessage', (message: unknown) => {
    if (isClusterMessage(message) && typeof message.ack === 'number') inFlight.delete(message.ack);
  });
  const handOn = () => {
    // After node has taken the worker off the connection's list (its own 'disconnect' listener runs first).
    const others = Object.values(cluster.workers ?? {}).some(
      (other) => other && other !== worker && other.isConnected() && isListening(other),
    );
    for (const [seq, handle] of inFlight) {
      if (others) child.emit('internalMessage', { cmd: 'NODE_CLUSTER', ack: seq, accepted: false });
      else handle.close();
    }
    inFlight.clear();
  };
  worker.once('disconnect', handOn);
  worker.once('exit', handOn);
}
