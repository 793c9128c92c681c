import { Injectable, type OnModuleInit } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { HttpAdapterHost, Reflector } from '@nestjs/core';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host';
import {
  InjectThrottlerOptions,
  InjectThrottlerStorage,
  type ThrottlerModuleOptions,
  ThrottlerStorage,
} from '@nestjs/throttler';
import type { FastifyInstance, FastifyReply, FastifyRequest, RequestPayload } from 'fastify';
import type { AuthenticatedUser } from '../../auth/authenticated-user';
import { RolesGuard } from '../../auth/guards/roles.guard';
import { bearerToken, VerifiedTokens } from '../../auth/verified-tokens';
import { ApiError } from '../../common/errors/api-error';
import { answerError } from '../../common/filters/all-exceptions.filter';
import { isObjectIdString } from '../../common/pipes/parse-object-id.pipe';
import {
  AppThrottlerGuard,
  markThrottleCounted,
} from '../../common/throttling/app-throttler.guard';
import type { EnvironmentVariables } from '../../config/env.validation';
import { PurchasesController } from '../purchases.controller';
import { PurchasesService } from '../purchases.service';
import { Readable } from 'node:stream';
import {
  exactPurchaseBody,
  plainlySentJson,
  plainPurchaseQuantity,
  readSmallBody,
} from './plain-purchase-body';

/** The route as Fastify knows it: the global prefix and the controller's path. */
const PURCHASE_ROUTE = '/api/sales/:id/purchase';

type PurchaseRequest = FastifyRequest<{ Params: { id?: string } }> & { user?: AuthenticatedUser };

interface Attempt {
  user: AuthenticatedUser;
  saleId: string;
  quantity: number;
  /** The route's execution context, for the guards' own code (built once per attempt). */
  context: ExecutionContextHost;
}

/**
 * Answers the purchase attempts that memory can refuse (sold out, not started, ended, already bought,
 * too many units, unknown sale, throttled) in a Fastify hook before the body parser and Nest's router,
 * pipes and exception filter: in a flash sale they are nearly every request. It decides nothing of its own: the token comes
 * from the JWT guard's verified tokens, the role check and the throttle count are the guards' own code
 * (RolesGuard, AppThrottlerGuard) run on the route's metadata, the refusal is
 * PurchasesService.judgeFromMemory and the answer goes through the exception filter's answerError. A
 * request it is not certain about (an unverified token, an odd id or body) goes the ordinary way
 * untouched; one it counted but cannot refuse goes on marked as counted. test/fast-lane.e2e-spec.ts
 * runs one table of requests both ways and compares the answers.
 */
@Injectable()
export class PurchaseFastLane implements OnModuleInit {
  private readonly roles: RolesGuard;
  private readonly throttle: AppThrottlerGuard;
  private readonly handler = Object.getOwnPropertyDescriptor(
    PurchasesController.prototype,
    'purchase',
  )!.value as () => unknown;
  /** Attempts answered here rather than by the route, since boot. */
  answered = 0;

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly purchases: PurchasesService,
    private readonly tokens: VerifiedTokens,
    private readonly config: ConfigService<EnvironmentVariables, true>,
    @InjectThrottlerOptions() throttlerOptions: ThrottlerModuleOptions,
    @InjectThrottlerStorage() throttlerStorage: ThrottlerStorage,
    reflector: Reflector,
  ) {
    this.roles = new RolesGuard(reflector);
    this.throttle = new AppThrottlerGuard(throttlerOptions, throttlerStorage, reflector);
  }

  /** Runs before Fastify is ready, so the hook reaches the route (hooks are bound at ready). */
  async onModuleInit(): Promise<void> {
    if (!this.config.get('PURCHASE_FAST_LANE', { infer: true })) return;
    await this.throttle.onModuleInit();
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    fastify.addHook('preParsing', (request, reply, payload, done) => {
      if (request.method !== 'POST' || request.routeOptions.url !== PURCHASE_ROUTE) return done();
      this.receive(request as PurchaseRequest, reply, payload, done);
    });
  }

  /**
   * Before Fastify's body parser (which costs a POST two thirds of its speed on Node 20, measured in
   * docs/performance.md): an admissible attempt's tiny body is read here, and the request is either
   * answered or handed on with the same bytes for the parser.
   */
  private receive(
    request: PurchaseRequest,
    reply: FastifyReply,
    payload: RequestPayload,
    done: (error?: Error | null, payload?: RequestPayload) => void,
  ): void {
    const attempt = this.admissible(request, reply);
    if (!attempt) return done();
    readSmallBody(payload).then(
      async (bytes) => {
        const handOn = () => done(null, Readable.from([bytes]));
        const quantity = plainPurchaseQuantity(exactPurchaseBody(bytes));
        if (quantity === undefined) return handOn();
        if (!(await this.refuse(request, reply, { ...attempt, quantity }))) handOn();
      },
      (error: Error) => done(error),
    );
  }

  /** True when the attempt was answered here; false hands it to the route. */
  private async refuse(
    request: PurchaseRequest,
    reply: FastifyReply,
    attempt: Attempt,
  ): Promise<boolean> {
    try {
      await this.throttle.canActivate(attempt.context);
    } catch (throttled) {
      return this.answer(reply, throttled);
    }
    markThrottleCounted(request);
    try {
      const judged = this.purchases.judgeFromMemory(attempt.user, attempt.saleId, attempt.quantity);
      const verdict = judged instanceof Promise ? await judged : judged;
      return verdict instanceof ApiError ? this.answer(reply, verdict) : false;
    } catch {
      return false; // e.g. the database is unreachable for a sale not in memory: the route answers
    }
  }

  /**
   * The attempt when every check before the throttle passes for certain (the body is judged once read),
   * else undefined and the route judges it: a token this process verified, a buyer's role, a valid id,
   * and a small JSON body sent plainly.
   */
  private admissible(
    request: PurchaseRequest,
    reply: FastifyReply,
  ): Omit<Attempt, 'quantity'> | undefined {
    const user = this.tokens.userOf(bearerToken(request.headers.authorization));
    const id = request.params.id;
    if (!user || !isObjectIdString(id) || !plainlySentJson(request.headers)) return undefined;
    request.user = user; // as the JWT guard attaches it: the role check and the throttle key read it
    const context = new ExecutionContextHost([request, reply], PurchasesController, this.handler);
    try {
      this.roles.canActivate(context);
    } catch {
      return undefined;
    }
    return { user, saleId: id.toLowerCase(), context };
  }

  private answer(reply: FastifyReply, error: unknown): true {
    this.answered += 1;
    void answerError(reply, error);
    return true;
  }
}
