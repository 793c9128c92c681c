import type { FastifyInstance } from 'fastify';
import { badRequest } from '../errors/api-error';
import { ErrorCode } from '../errors/error-codes';
import { scanJson } from './json-scan';

type Done = (error: Error | null, body?: unknown) => void;

/**
 * The only body parser: JSON objects. Fastify's text/plain parser and the form parser Nest adds
 * (application/x-www-form-urlencoded) are not registered, so any other content type is 415: a
 * cross-site HTML form cannot post to the API without a CORS preflight. Depth and duplicate keys are
 * checked on the text before JSON.parse; prototype-poisoning keys are refused by fastify's parser.
 */
export function registerJsonBodyParser(
  instance: FastifyInstance,
  limits: { bodyLimit: number; maxDepth: number },
): void {
  instance.removeAllContentTypeParsers();
  const parse = instance.getDefaultJsonParser('error', 'error');
  instance.addContentTypeParser(
    'application/json',
    { parseAs: 'string', bodyLimit: limits.bodyLimit },
    (request, text: string | Buffer, done: Done) => {
      const body = typeof text === 'string' ? text : text.toString('utf8');
      if (body.trim() === '') {
        done(
          badRequest(ErrorCode.INVALID_JSON, 'The body is empty: send a JSON object, or no body'),
        );
        return;
      }
      const problem = scanJson(body, limits.maxDepth);
      if (problem?.kind === 'too-deep') {
        done(
          badRequest(
            ErrorCode.JSON_TOO_DEEP,
            `The JSON body is nested deeper than ${limits.maxDepth} levels`,
          ),
        );
        return;
      }
      if (problem?.kind === 'duplicate-key') {
        const key = problem.key.slice(0, 64);
        done(badRequest(ErrorCode.INVALID_JSON, `The JSON body repeats the key '${key}'`));
        return;
      }
      void parse(request, body, (error: Error | null, value?: unknown) => {
        if (error) done(badRequest(ErrorCode.INVALID_JSON, 'The body is not valid JSON'));
        else if (value === null || typeof value !== 'object' || Array.isArray(value)) {
          done(badRequest(ErrorCode.VALIDATION_FAILED, 'The body must be a JSON object'));
        } else done(null, value);
      });
    },
  );
}
