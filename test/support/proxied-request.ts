import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { request } from 'node:http';
import { baseUrl } from './test-app';

export interface ProxiedGet {
  /** The socket's local address (any of 127.0.0.0/8 on Linux): who the service sees connecting. */
  from?: string;
  /** The X-Forwarded-For header, as a proxy (or a liar) would send it. */
  forwardedFor?: string;
  token?: string;
}

/** A GET from a chosen local address with a chosen X-Forwarded-For, which supertest cannot do. */
export function proxiedGet(
  app: NestFastifyApplication,
  path: string,
  { from = '127.0.0.1', forwardedFor, token }: ProxiedGet = {},
): Promise<{
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}> {
  const headers: Record<string, string> = {};
  if (forwardedFor !== undefined) headers['x-forwarded-for'] = forwardedFor;
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  return new Promise((resolve, reject) => {
    const sent = request(`${baseUrl(app)}${path}`, { localAddress: from, headers, agent: false });
    sent.on('response', (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () =>
        resolve({ status: response.statusCode!, headers: response.headers, body }),
      );
    });
    sent.on('error', reject);
    sent.end();
  });
}
