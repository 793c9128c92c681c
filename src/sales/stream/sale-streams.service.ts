import {
  type BeforeApplicationShutdown,
  Injectable,
  Logger,
  type OnModuleInit,
} from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { FastifyReply, FastifyRequest } from 'fastify';
import Negotiator from 'negotiator';
import { budgetAddressOf } from '../../common/http/request-identity';
import type { AuthenticatedUser } from '../../auth/authenticated-user';
import type { EnvironmentVariables } from '../../config/env.validation';
import { LeaderboardService } from '../../leaderboard/leaderboard.service';
import { SaleEvents } from '../events/sale-events';
import { SalesService } from '../sales.service';
import { SaleFeed, type FeedSource } from './sale-feed';
import { SseConnection } from './sse-connection';
import { StreamAdmission, type StreamTicket } from './stream-admission';

/** What a refused stream is told to wait (Retry-After) before trying again. */
const RETRY_AFTER_SECONDS = 5;

const isFinal = (status: string) => status === 'sold_out' || status === 'ended';

/**
 * The stream unless the client prefers JSON: EventSource asks for text/event-stream, curl for any type
 * (no Accept at all counts as any), and an Accept naming neither still gets the stream, as before.
 */
const wantsSnapshot = (accept: string | undefined) =>
  new Negotiator({ headers: { accept } }).mediaType(['text/event-stream', 'application/json']) ===
  'application/json';

/**
 * GET /sales/:id/events on this instance: admits streams within the caps, keeps one SaleFeed per sale
 * with open streams, routes sale events (from any instance) to it, sends the heartbeat, and ends every
 * stream when the service stops so that shutdown is not held up by clients that never hang up.
 */
@Injectable()
export class SaleStreams implements OnModuleInit, BeforeApplicationShutdown {
  private readonly logger = new Logger('SaleStreams');
  private readonly feeds = new Map<string, SaleFeed>();
  private stopping = false;
  private heartbeat: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;
  private readonly source: FeedSource;

  constructor(
    private readonly sales: SalesService,
    leaderboard: LeaderboardService,
    private readonly events: SaleEvents,
    private readonly config: ConfigService<EnvironmentVariables, true>,
    private readonly admission: StreamAdmission,
  ) {
    this.source = {
      readSale: (saleId) => sales.get(saleId),
      entriesAfter: (saleId, rank, limit) => leaderboard.entriesAfter(saleId, rank, limit),
      buyerCount: (saleId) => leaderboard.buyerCount(saleId),
      unitsListed: (saleId) => leaderboard.unitsListed(saleId),
    };
  }

  onModuleInit(): void {
    this.unsubscribe = this.events.subscribe(({ saleId }) => this.feeds.get(saleId)?.poke());
    this.heartbeat = setInterval(
      () => this.feeds.forEach((feed) => feed.ping()),
      this.config.get('SSE_HEARTBEAT_MS', { infer: true }),
    );
    this.heartbeat.unref();
  }

  beforeApplicationShutdown(): void {
    this.stopping = true;
    this.admission.stop();
    clearInterval(this.heartbeat);
    this.unsubscribe?.();
    for (const feed of [...this.feeds.values()]) feed.finish();
  }

  get openStreams(): number {
    return this.admission.openStreams;
  }

  /**
   * Answers like any route until the stream starts (caps, 400/404 and database errors in the API's
   * shape), then takes the response over: the first `sale` event, then whatever the feed sends.
   */
  async stream(
    saleId: string,
    request: Pick<FastifyRequest, 'ip' | 'budgetAddress' | 'method' | 'headers'> & {
      user?: AuthenticatedUser;
    },
    reply: FastifyReply,
  ): Promise<void> {
    // A client that cannot read a stream (Swagger UI's Execute waits for the end) gets its first event.
    if (wantsSnapshot(request.headers.accept)) {
      const sale = await this.sales.get(saleId);
      void reply.send(sale);
      return;
    }
    const address = budgetAddressOf(request);
    let ticket: StreamTicket;
    try {
      ticket = await this.admission.admit({ address, userId: request.user?.id });
    } catch (error) {
      void reply.header('retry-after', String(RETRY_AFTER_SECONDS));
      throw error;
    }
    let sale;
    try {
      // The feed first learns where the leaderboard stands, then the sale is read: a purchase after
      // that point is either in this first event's counts or arrives as a `purchases` event.
      await this.feedFor(saleId).ready;
      sale = await this.sales.get(saleId);
    } catch (error) {
      ticket.release();
      this.dropIfIdle(saleId);
      throw error;
    }
    const connection = SseConnection.start(reply, address, (closed) => {
      ticket.release();
      this.feeds.get(saleId)?.remove(closed);
      this.dropIfIdle(saleId);
    });
    // HEAD (answered by the GET route) gets the headers only: nothing would ever end it otherwise.
    if (request.method === 'HEAD') {
      connection.end();
      return;
    }
    ticket.limitLifetime(connection);
    connection.send('sale', sale);
    if (isFinal(sale.status) || this.stopping) {
      connection.end();
      return;
    }
    if (connection.isOpen) this.feedFor(saleId).add(connection, sale);
  }

  /** The sale's live feed on this instance; a finished one (the sale closed) is replaced. */
  private feedFor(saleId: string): SaleFeed {
    const existing = this.feeds.get(saleId);
    if (existing && !existing.isFinished) return existing;
    const feed = new SaleFeed(
      saleId,
      this.source,
      this.config.get('SSE_MIN_INTERVAL_MS', { infer: true }),
      this.logger,
      (finished) => {
        if (this.feeds.get(saleId) === finished) this.feeds.delete(saleId);
      },
    );
    this.feeds.set(saleId, feed);
    return feed;
  }

  private dropIfIdle(saleId: string): void {
    const feed = this.feeds.get(saleId);
    if (feed && feed.size === 0) feed.finish();
  }
}
