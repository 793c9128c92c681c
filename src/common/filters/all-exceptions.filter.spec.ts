import type { FastifyReply } from 'fastify';
import { purchaseInProgress, purchaseOutcomeUnknown } from '../../purchases/purchase-errors';
import { answerError } from './all-exceptions.filter';

function fakeReply() {
  const sent = { status: 0, headers: {} as Record<string, string>, body: undefined as unknown };
  const reply = {
    header: (name: string, value: string) => ((sent.headers[name] = value), reply),
    status: (code: number) => ((sent.status = code), reply),
    send: (body: unknown) => ((sent.body = body), reply),
  };
  return { reply: reply as unknown as FastifyReply, sent };
}

describe('answerError', () => {
  it('sends Retry-After with an answer that says when to come back', () => {
    const { reply, sent } = fakeReply();
    answerError(reply, purchaseInProgress(new Date('2030-01-01T00:00:35Z'), 24.2));
    expect(sent).toMatchObject({
      status: 409,
      headers: { 'retry-after': '25' },
      body: { code: 'PURCHASE_IN_PROGRESS', details: { settledBy: '2030-01-01T00:00:35.000Z' } },
    });
    const unknown = fakeReply();
    answerError(unknown.reply, purchaseOutcomeUnknown());
    expect(unknown.sent).toMatchObject({
      status: 503,
      headers: { 'retry-after': '2' },
      body: { code: 'PURCHASE_OUTCOME_UNKNOWN' },
    });
  });

  it('sends no Retry-After with an answer that has none', () => {
    const { reply, sent } = fakeReply();
    answerError(reply, new Error('a bug'));
    expect(sent.status).toBe(500);
    expect(sent.headers).toEqual({});
  });
});
