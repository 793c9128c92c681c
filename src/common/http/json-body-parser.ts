import type { FastifyInstance } from 'fastify';
import { ApiError, badRequest } from '../errors/api-error';
import { ErrorCode } from '../errors/error-codes';
import { scanJson } from './json-scan';

type Done = (error: Error | null, body?: unknown) => void;

/** RFC 8259: JSON is UTF-8. fatal: a byte that is not UTF-8 is an error, not a silent U+FFFD. */
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

const unsupported = (message: string) =>
  new ApiError(415, ErrorCode.UNSUPPORTED_MEDIA_TYPE, message);

/**
 * What the body's headers say that the parser cannot honour: a compressed body (nothing here inflates
 * it, so it would be read as garbage) or a charset other than UTF-8 (it would be decoded wrongly).
 */
function headerProblem(
  headers: Record<string, string | string[] | undefined>,
): ApiError | undefined {
  const encoding = headers['content-encoding'];
  if (encoding !== undefined && encoding !== 'identity') {
    return unsupported('Compressed bodies (Content-Encoding) are not accepted');
  }
  const type = headers['content-type'];
  const charset =
    typeof type === 'string' ? /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(type)?.[1] : undefined;
  if (charset !== undefined && !/^utf-?8$/i.test(charset)) {
    return unsupported(`Only UTF-8 JSON is accepted, not charset ${charset.slice(0, 32)}`);
  }
  return undefined;
}

/**
 * The only body parser: JSON objects. Fastify's text/plain parser and the form parser Nest adds
 * (application/x-www-form-urlencoded) are not registered, so any other content type is 415: a
 * cross-site HTML form cannot post to the API without a CORS preflight. The body must be UTF-8 and not
 * compressed; depth, duplicate keys and inherited names as keys (`__proto__`, `constructor`, ...) are
 * checked on the text before JSON.parse.
 */
export function registerJsonBodyParser(
  instance: FastifyInstance,
  limits: { bodyLimit: number; maxDepth: number },
): void {
  instance.removeAllContentTypeParsers();
  const parse = instance.getDefaultJsonParser('error', 'error');
  instance.addContentTypeParser(
    'application/json',
    { parseAs: 'buffer', bodyLimit: limits.bodyLimit },
    (request, raw: Buffer, done: Done) => {
      const refused = headerProblem(request.headers);
      if (refused) {
        done(refused);
        return;
      }
      let body: string;
      try {
        body = utf8.decode(raw);
      } catch {
        done(badRequest(ErrorCode.INVALID_JSON, 'The body is not valid UTF-8'));
        return;
      }
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
      if (problem?.kind === 'reserved-key') {
        const key = problem.key.slice(0, 64);
        done(badRequest(ErrorCode.INVALID_JSON, `The JSON body may not use the key '${key}'`));
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
