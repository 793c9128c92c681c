import type { Logger } from '@nestjs/common';
import type { LeaderboardEntryDto } from '../../leaderboard/dto/leaderboard.dto';
import type { SaleDto } from '../dto/sale.dto';
import type { SseConnection } from './sse-connection';

/** What a feed reads: the sale as GET /sales/:id answers it, and the leaderboard from a rank on. */
export interface FeedSource {
  readSale(saleId: string): Promise<SaleDto>;
  entriesAfter(saleId: string, rank: number, limit: number): Promise<LeaderboardEntryDto[]>;
  buyerCount(saleId: string): Promise<number>;
  /** Units of the confirmed purchases: equal to the sale's soldQuantity once every take is confirmed. */
  unitsListed(saleId: string): Promise<number>;
}

/** Entries read per flush; a fuller page means more are waiting, read on the next window. */
const PAGE = 500;
/**
 * Without transactions a purchase is confirmed after its take, so one confirmed late lands at a rank
 * already passed. Each read starts this many ranks back and skips buyers already sent (one purchase
 * per buyer per sale), so a late confirm within that distance is still sent, once.
 */
const OVERLAP = 100;
/**
 * How long a sold-out or ended sale may wait for the confirms of units its counters already count (a
 * take is confirmed just after it without transactions; an abandoned one is recounted by the reconciler
 * after PURCHASE_PENDING_TIMEOUT_MS, 30 s). Past it the streams end anyway, saying so in the log.
 */
const SETTLE_LIMIT_MS = 60_000;
/** setTimeout's longest delay (about 24.8 days); a later start or end is re-armed after it. */
const MAX_TIMER_MS = 2 ** 31 - 1;

const isFinal = (sale: SaleDto) => sale.status === 'sold_out' || sale.status === 'ended';
const stateOf = (sale: SaleDto) => `${sale.status}:${sale.remainingQuantity}:${sale.soldQuantity}`;

/**
 * The live view of one sale on this instance, shared by all of its streams: however many clients and
 * events, the sale is read at most once per interval (coalesced; a change during a read is read again
 * after the interval). Besides events, the feed wakes itself at the sale's start and end time, when the
 * status changes with the clock alone. Each send puts the new buyers before the sale's state, and a
 * sold-out or ended sale is sent only once every unit it counts is on the leaderboard and sent: that
 * `sale` event is the stream's last, so a client that stops at it has seen every buyer.
 */
export class SaleFeed {
  /** Each client's last `sale` state sent, so a client is sent only what changed for it. */
  private readonly clients = new Map<SseConnection, string>();
  private readonly sentBuyers = new Set<string>();
  private readRank = 0;
  private primed: Promise<void>;
  private lastFlushAt = 0;
  private flushing = false;
  private dirty = false;
  private flushTimer: NodeJS.Timeout | undefined;
  private clockTimer: NodeJS.Timeout | undefined;
  private failing = false;
  private finished = false;
  /** When a read first found the sale over with units still unconfirmed. */
  private settlingSince: number | undefined;

  constructor(
    readonly saleId: string,
    private readonly source: FeedSource,
    private readonly intervalMs: number,
    private readonly logger: Logger,
    private readonly onFinished: (feed: SaleFeed) => void,
  ) {
    this.primed = this.prime();
    this.primed.catch(() => undefined); // retried by the first read that needs it
  }

  get size(): number {
    return this.clients.size;
  }

  get isFinished(): boolean {
    return this.finished;
  }

  /** Resolves once the feed knows where the leaderboard stood when it started (or failed to learn it). */
  get ready(): Promise<void> {
    return this.primed.catch(() => undefined);
  }

  /** `sale` is what the client was just sent as its first event. */
  add(client: SseConnection, sale: SaleDto): void {
    this.clients.set(client, stateOf(sale));
    this.armClock(sale);
  }

  remove(client: SseConnection): void {
    this.clients.delete(client);
  }

  /** Something about the sale changed: read it once the interval since the last read has passed. */
  poke(): void {
    if (this.finished) return;
    this.dirty = true;
    if (this.flushTimer || this.flushing) return;
    const wait = Math.max(0, this.lastFlushAt + this.intervalMs - Date.now());
    this.flushTimer = setTimeout(() => {
      this.flushTimer = undefined;
      void this.flush();
    }, wait);
  }

  ping(): void {
    for (const client of this.clients.keys()) client.ping();
  }

  /** Ends every stream (the sale is over, or the service is stopping). */
  finish(): void {
    if (this.finished) return;
    this.finished = true;
    clearTimeout(this.flushTimer);
    clearTimeout(this.clockTimer);
    for (const client of this.clients.keys()) client.end();
    this.clients.clear();
    this.onFinished(this);
  }

  /** Purchases before the first client came are history (GET /leaderboard): the feed starts after them. */
  private async prime(): Promise<void> {
    const count = await this.source.buyerCount(this.saleId);
    const from = Math.max(0, count - OVERLAP);
    // limit(0) would mean "no limit" to MongoDB.
    const recent =
      count > from ? await this.source.entriesAfter(this.saleId, from, count - from) : [];
    for (const entry of recent) this.sentBuyers.add(entry.username);
    this.readRank = from + recent.length;
  }

  private async ensurePrimed(): Promise<void> {
    try {
      await this.primed;
    } catch {
      this.primed = this.prime();
      this.primed.catch(() => undefined);
      await this.primed;
    }
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    this.dirty = false;
    try {
      await this.ensurePrimed();
      const sale = await this.source.readSale(this.saleId);
      // Settled first, then the entries: a read after every counted unit was confirmed lists them all.
      const settled = isFinal(sale) && (await this.settled(sale));
      const { entries, more } = await this.newEntries();
      const over = settled && !more;
      if (this.finished) return;
      this.failing = false;
      if (more) this.dirty = true;
      if (!isFinal(sale)) {
        this.settlingSince = undefined;
        this.broadcast(sale, entries);
        this.armClock(sale);
      } else if (over) {
        this.broadcast(sale, entries);
        this.finish();
      } else {
        // Over, but buyers may still be coming: send them, keep the final state for the last event.
        this.broadcast(null, entries);
        this.dirty = true;
      }
    } catch (error) {
      if (this.finished) return;
      if (!this.failing)
        this.logger.warn(`sale ${this.saleId}: live read failed: ${String(error)}`);
      this.failing = true;
      this.dirty = true; // try again after the interval
    } finally {
      // Measured from the send, so two sends are an interval apart however long the reads took.
      this.lastFlushAt = Date.now();
      this.flushing = false;
      if (this.dirty && !this.finished) this.poke();
    }
  }

  /**
   * Whether every unit the over sale counts is confirmed, so the next leaderboard read lists every buyer.
   * A take is counted before its purchase is confirmed: sold out can be read before the last buyer is.
   */
  private async settled(sale: SaleDto): Promise<boolean> {
    if ((await this.source.unitsListed(this.saleId)) >= sale.soldQuantity) return true;
    const now = Date.now();
    this.settlingSince ??= now;
    if (now - this.settlingSince < SETTLE_LIMIT_MS) return false;
    this.logger.warn(
      `sale ${this.saleId}: ${sale.status} with units still unconfirmed after ${SETTLE_LIMIT_MS} ms; ending its streams`,
    );
    return true;
  }

  private async newEntries(): Promise<{ entries: LeaderboardEntryDto[]; more: boolean }> {
    const from = Math.max(0, this.readRank - OVERLAP);
    const limit = this.readRank - from + PAGE;
    const read = await this.source.entriesAfter(this.saleId, from, limit);
    this.readRank = from + read.length;
    const entries = read.filter((entry) => !this.sentBuyers.has(entry.username));
    for (const entry of entries) this.sentBuyers.add(entry.username);
    return { entries, more: read.length === limit };
  }

  /** New buyers first, then the sale if its state changed for a client (`null`: hold the state back). */
  private broadcast(sale: SaleDto | null, entries: LeaderboardEntryDto[]): void {
    const state = sale && stateOf(sale);
    for (const [client, sent] of this.clients) {
      if (entries.length > 0) client.send('purchases', { items: entries });
      if (sale && sent !== state) {
        client.send('sale', sale);
        this.clients.set(client, state!);
      }
    }
  }

  /** Wakes the feed when the clock alone changes the status: at the start, then at the end. */
  private armClock(sale: SaleDto): void {
    clearTimeout(this.clockTimer);
    this.clockTimer = undefined;
    const at =
      sale.status === 'scheduled'
        ? new Date(sale.startTime)
        : sale.status === 'active' && sale.endTime
          ? new Date(sale.endTime)
          : null;
    if (!at) return;
    const delay = Math.min(Math.max(0, at.getTime() - Date.now()) + 5, MAX_TIMER_MS);
    this.clockTimer = setTimeout(() => this.poke(), delay);
    this.clockTimer.unref();
  }
}
