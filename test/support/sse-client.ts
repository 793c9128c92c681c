import { request, type IncomingHttpHeaders } from 'node:http';

export interface SseEvent {
  event: string;
  data: unknown;
  /** Date.now() when the event's last line arrived. */
  at: number;
}

export interface SseOptions {
  headers?: Record<string, string>;
  /** The client address to connect from (any 127.x.y.z works on Linux), to act as several clients. */
  localAddress?: string;
}

/**
 * A tiny EventSource over node:http for tests: every event parsed (data as JSON), comments counted, and
 * the answer's status, headers and (for a refusal) JSON body. Never reconnects.
 */
export class SseClient {
  readonly events: SseEvent[] = [];
  comments = 0;
  /** Every `retry:` the server sent, in order. */
  readonly retries: number[] = [];
  body = '';
  /** Resolves when the server ends the response or the connection closes. */
  readonly ended: Promise<void>;
  private endedAt: number | null = null;
  private buffer = '';
  private waiters: Array<() => void> = [];
  private markEnded!: () => void;
  private destroy: () => void = () => undefined;

  private constructor(
    readonly status: number,
    readonly headers: IncomingHttpHeaders,
  ) {
    this.ended = new Promise((resolve) => (this.markEnded = resolve));
  }

  /** Resolves once the answer's headers (and, for a refusal, its body) are in. */
  static connect(url: string, options: SseOptions = {}): Promise<SseClient> {
    return new Promise((resolve, reject) => {
      const req = request(url, {
        headers: { accept: 'text/event-stream', ...options.headers },
        localAddress: options.localAddress,
      });
      req.on('error', reject);
      req.on('response', (res) => {
        const client = new SseClient(res.statusCode ?? 0, res.headers);
        client.destroy = () => req.destroy();
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => client.receive(chunk));
        res.on('close', () => client.finish());
        if (client.status === 200) resolve(client);
        else void client.ended.then(() => resolve(client));
      });
      req.end();
    });
  }

  get isEnded(): boolean {
    return this.endedAt !== null;
  }

  get json(): { statusCode: number; code: string; message: string } {
    return JSON.parse(this.body) as { statusCode: number; code: string; message: string };
  }

  named(event: string): SseEvent[] {
    return this.events.filter((e) => e.event === event);
  }

  /** The first event (already received or still to come) that matches; rejects after `timeoutMs`. */
  async waitFor(
    match: (event: SseEvent) => boolean,
    timeoutMs = 10_000,
    what = 'a matching event',
  ): Promise<SseEvent> {
    await this.until(() => this.events.some(match), timeoutMs, what);
    return this.events.find(match)!;
  }

  /** Resolves when `condition` holds (checked on every event, comment and the end). */
  async until(condition: () => boolean, timeoutMs = 10_000, what = 'a condition'): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      const left = deadline - Date.now();
      if (left <= 0 || this.isEnded) {
        if (condition()) return;
        const seen = this.events.map((e) => e.event).join(', ');
        throw new Error(`waited for ${what}; ended: ${this.isEnded}; events: ${seen}`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  close(): void {
    this.destroy();
  }

  private receive(chunk: string): void {
    if (this.status !== 200) {
      this.body += chunk;
      return;
    }
    this.buffer += chunk;
    let boundary: number;
    while ((boundary = this.buffer.indexOf('\n\n')) >= 0) {
      this.parseBlock(this.buffer.slice(0, boundary));
      this.buffer = this.buffer.slice(boundary + 2);
    }
    this.wake();
  }

  private parseBlock(block: string): void {
    let event = 'message';
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) this.comments += 1;
      else if (line.startsWith('retry:')) this.retries.push(Number(line.slice(6)));
      else if (line.startsWith('event:')) event = line.slice(6).trim();
      else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
    }
    if (data.length > 0) {
      this.events.push({ event, data: JSON.parse(data.join('\n')), at: Date.now() });
    }
  }

  private finish(): void {
    if (this.endedAt !== null) return;
    this.endedAt = Date.now();
    this.markEnded();
    this.wake();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}
