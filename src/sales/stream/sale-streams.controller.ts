import { Controller, Get, Param, Req, Res } from '@nestjs/common';
import {
  ApiExtraModels,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Public } from '../../common/decorators/public.decorator';
import { ApiErrors, DATABASE_ERRORS } from '../../common/errors/api-error-responses.decorator';
import { ErrorCode } from '../../common/errors/error-codes';
import { ParseObjectIdPipe } from '../../common/pipes/parse-object-id.pipe';
import { SaleDto } from '../dto/sale.dto';
import { SaleStreams } from './sale-streams.service';

const STREAM_DESCRIPTION = [
  'Server-Sent Events (`text/event-stream`), one stream per client:',
  '',
  '- `event: sale`: the sale, exactly as `GET /api/sales/{id}` answers it. First at once, then',
  '  whenever its status, remainingQuantity or soldQuantity changed (at most one per',
  '  `SSE_MIN_INTERVAL_MS`, 250 ms by default; changes in between are coalesced into the last one).',
  '- `event: purchases`: `{items: [{rank, username, quantity, purchasedAt}]}`, the leaderboard',
  '  entries accepted since the previous `purchases` event (earlier ones: `GET .../leaderboard`).',
  '- `: ping`: a comment line every `SSE_HEARTBEAT_MS` (15 s) that keeps proxies from closing it.',
  '',
  'When the sale is sold out or has ended, the last buyers are sent, then the final `sale`, and the',
  'server ends the stream; close the EventSource at that `sale`, or it reconnects (after the `retry` of',
  '3 s) and gets the final `sale` again. Events made on any instance reach streams on every instance.',
  '',
  'A client that asks for `application/json` (and not for `text/event-stream`), such as Swagger UI',
  "with the media type below left at `application/json`, gets the stream's first event instead: the",
  'sale as JSON, and the answer ends. No Accept header, `*/*` or `text/event-stream` get the stream.',
].join('\n');

const STREAM_EXAMPLE = [
  'retry: 3000',
  '',
  'event: sale',
  'data: {"id":"665f1c2e9b1e8a3f4c0d9876","status":"active","remainingQuantity":42,"soldQuantity":58}',
  '',
  'event: purchases',
  'data: {"items":[{"rank":59,"username":"alice_01","quantity":1,"purchasedAt":"2026-11-27T09:00:00.120Z"}]}',
  '',
  ': ping',
  '',
].join('\n');

@ApiTags('sales')
@ApiExtraModels(SaleDto)
@Controller('sales')
export class SaleStreamsController {
  constructor(private readonly streams: SaleStreams) {}

  @Public()
  @Get(':id/events')
  @ApiOperation({
    summary: 'Live stream of one sale: its state and new buyers (Server-Sent Events)',
  })
  @ApiOkResponse({
    description: STREAM_DESCRIPTION,
    content: {
      // First, so Swagger UI's Execute asks for the snapshot: a stream never ends, and it would spin.
      'application/json': { schema: { $ref: getSchemaPath(SaleDto) } },
      'text/event-stream': { schema: { type: 'string' }, example: STREAM_EXAMPLE },
    },
  })
  @ApiErrors(
    [400, ErrorCode.INVALID_ID],
    [404, ErrorCode.SALE_NOT_FOUND],
    [429, ErrorCode.TOO_MANY_REQUESTS],
    [429, ErrorCode.TOO_MANY_STREAMS],
    [503, ErrorCode.STREAMS_AT_CAPACITY],
    ...DATABASE_ERRORS,
  )
  events(
    @Param('id', ParseObjectIdPipe) id: string,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    return this.streams.stream(id, request, reply);
  }
}
