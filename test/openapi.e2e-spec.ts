import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type {
  OpenAPIObject,
  OperationObject,
  ParameterObject,
  ReferenceObject,
  RequestBodyObject,
  ResponseObject,
  SchemaObject,
} from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import { createSale } from './factories/catalog.factory';
import { buildRegistration, registerUser } from './factories/users.factory';
import { SseClient } from './support/sse-client';
import {
  adminToken,
  baseUrl,
  createTestApp,
  http,
  uniqueDatabaseName,
  withTestApp,
} from './support/test-app';

type Operation = OperationObject & { method: string; path: string };
type ErrorExample = {
  summary: string;
  value: { statusCode: number; code: string; message: string };
};

function operations(spec: OpenAPIObject): Operation[] {
  return Object.entries(spec.paths).flatMap(([path, item]) =>
    Object.entries(item as Record<string, OperationObject>).map(([method, operation]) => ({
      ...operation,
      method,
      path,
    })),
  );
}

function examplesOf(operation: Operation, status: number): Record<string, ErrorExample> {
  const response = operation.responses[String(status)] as ResponseObject | undefined;
  return (response?.content?.['application/json']?.examples ?? {}) as Record<string, ErrorExample>;
}

async function openStream(url: string): Promise<{ status: number }> {
  const client = await SseClient.connect(url);
  client.close();
  return { status: client.status };
}

describe('the OpenAPI document as clients use it (e2e)', () => {
  const database = uniqueDatabaseName();
  let app: NestFastifyApplication;
  let spec: OpenAPIObject;
  let all: Operation[];

  const find = (method: string, path: string) =>
    all.find((operation) => operation.method === method && operation.path === path)!;

  beforeAll(async () => {
    app = await createTestApp(database);
    spec = JSON.parse((await http(app).get('/api-doc').expect(200)).text) as OpenAPIObject;
    all = operations(spec);
  });
  afterAll(() => app.close());

  it('types page and limit as integer query parameters on every list', () => {
    for (const path of [
      '/api/products',
      '/api/sales',
      '/api/sales/{id}/leaderboard',
      '/api/purchases/me',
    ]) {
      const parameters = find('get', path).parameters as Array<{
        name: string;
        in: string;
        schema: { type: string; minimum: number };
      }>;
      for (const name of ['page', 'limit']) {
        expect(parameters.find((p) => p.name === name)).toMatchObject({
          in: 'query',
          schema: { type: 'integer', minimum: 1 },
        });
      }
    }
  });

  it('gives every operation a summary and every documented error an example of its own status and code', () => {
    expect(all.length).toBeGreaterThanOrEqual(14);
    for (const operation of all) {
      expect(operation.summary).toEqual(expect.stringMatching(/\w{3,}/));
      for (const [status, response] of Object.entries(operation.responses)) {
        if (Number(status) < 400 || operation.path === '/health') continue;
        const examples = examplesOf(operation, Number(status));
        const documentedCodes = (response as ResponseObject).description.match(/[A-Z_]{4,}/g);
        expect(Object.keys(examples).sort()).toEqual([...new Set(documentedCodes)].sort());
        for (const [code, example] of Object.entries(examples)) {
          expect(example.value).toMatchObject({ statusCode: Number(status), code });
          expect(example.value.message).toEqual(expect.any(String));
        }
      }
    }
    expect(examplesOf(find('post', '/api/auth/login'), 401)).toEqual({
      INVALID_CREDENTIALS: {
        summary: 'INVALID_CREDENTIALS',
        value: {
          statusCode: 401,
          code: 'INVALID_CREDENTIALS',
          message: 'Email or password is wrong',
        },
      },
    });
  });

  it('documents 413, 415 and INVALID_JSON on routes with a body, and 503 on routes that use the database', () => {
    for (const operation of all) {
      if (operation.path === '/health') continue;
      expect(Object.keys(examplesOf(operation, 503))).toContain('DATABASE_UNAVAILABLE');
      expect(Object.keys(examplesOf(operation, 429))).toContain('TOO_MANY_REQUESTS');
      if (!operation.requestBody) continue;
      expect(Object.keys(examplesOf(operation, 400))).toContain('INVALID_JSON');
      expect(Object.keys(examplesOf(operation, 413))).toEqual(['PAYLOAD_TOO_LARGE']);
      expect(Object.keys(examplesOf(operation, 415))).toEqual(['UNSUPPORTED_MEDIA_TYPE']);
    }
  });

  it('documents exactly what the service answers for the errors fastify and the guards produce', async () => {
    const login = find('post', '/api/auth/login');
    const register = find('post', '/api/auth/register');
    const answers = [
      {
        operation: login,
        response: await http(app)
          .post('/api/auth/login')
          .set('content-type', 'application/json')
          .send('{"email":'),
      },
      {
        operation: login,
        response: await http(app)
          .post('/api/auth/login')
          .set('content-type', 'text/xml')
          .send('<login/>'),
      },
      {
        operation: register,
        response: await http(app)
          .post('/api/auth/register')
          .send({ ...buildRegistration(), password: 'x'.repeat(100_000) }),
      },
      {
        operation: login,
        response: await http(app)
          .post('/api/auth/login')
          .send({ email: 'nobody@example.test', password: 'wrong-password' }),
      },
      { operation: find('get', '/api/auth/me'), response: await http(app).get('/api/auth/me') },
      {
        operation: find('get', '/api/products'),
        response: await http(app).get('/api/products?limit=0'),
      },
    ];
    expect(answers.map(({ response }) => response.status)).toEqual([400, 415, 413, 401, 401, 400]);
    for (const { operation, response } of answers) {
      const example = examplesOf(operation, response.status)[response.body.code];
      expect(example).toBeDefined();
      // Same status, code and message as the real answer (details, when any, are samples).
      expect(example.value).toMatchObject({
        statusCode: response.body.statusCode,
        code: response.body.code,
        message: response.body.message,
      });
    }
  });

  it('says `security: []` exactly on the routes that answer without a token', async () => {
    const sale = await createSale(app, await adminToken(app));
    for (const operation of all) {
      const url = operation.path.replace('{id}', sale.id);
      // A live stream never ends by itself: its status is read from the headers, then it is closed.
      const stream = (operation.responses['200'] as ResponseObject | undefined)?.content?.[
        'text/event-stream'
      ];
      const response = stream
        ? await openStream(`${baseUrl(app)}${url}`)
        : operation.method === 'delete'
          ? await http(app).delete(url)
          : await (operation.method === 'post' ? http(app).post(url).send({}) : http(app).get(url));
      const isPublic = Array.isArray(operation.security) && operation.security.length === 0;
      expect([operation.path, operation.method, response.status === 401]).toEqual([
        operation.path,
        operation.method,
        !isPublic,
      ]);
      if (!isPublic) expect(operation.security).toEqual([{ bearer: [] }]);
    }
  });

  it('names the origin it was fetched from as the server, in the download and in Swagger UI', async () => {
    expect(spec.servers).toEqual([{ url: baseUrl(app) }]);
    const init = await http(app).get('/api-docs/swagger-ui-init.js').expect(200);
    expect(init.text).toContain(`"url": "${baseUrl(app)}"`);
    const plain = await http(app).get('/api-docs-json').expect(200);
    expect(JSON.parse(plain.text).servers).toEqual([{ url: baseUrl(app) }]);
  });

  it('never names an untrusted Host or X-Forwarded-Host as the server (PUBLIC_URL unset)', async () => {
    const port = new URL(baseUrl(app)).port;
    const serversFor = async (headers: Record<string, string>, path = '/api-doc') => {
      let call = http(app).get(path);
      for (const [name, value] of Object.entries(headers)) call = call.set(name, value);
      return (JSON.parse((await call.expect(200)).text) as OpenAPIObject).servers;
    };
    const own = [{ url: `http://localhost:${port}` }];
    expect(await serversFor({ host: 'evil.example:666' })).toEqual(own);
    expect(await serversFor({ host: 'evil.example:666' }, '/api-docs-json')).toEqual(own);
    expect(await serversFor({ host: '127.0.0.1:666' })).toEqual(own);
    expect(await serversFor({ host: `127.0.0.1.evil.example:${port}` })).toEqual(own);
    expect(await serversFor({ 'x-forwarded-host': 'evil.example' })).toEqual([
      { url: baseUrl(app) },
    ]);
    expect(await serversFor({ host: `localhost:${port}` })).toEqual(own);
  });

  it('names a CORS origin the request came through, and not a forwarded host it does not list', async () => {
    const proxied = await createTestApp(database, {
      CORS_ORIGINS: 'https://shop.example.test',
      TRUST_PROXY: '1',
    });
    try {
      const serversFor = async (forwardedHost: string) =>
        (
          JSON.parse(
            (
              await http(proxied)
                .get('/api-doc')
                .set('x-forwarded-proto', 'https')
                .set('x-forwarded-host', forwardedHost)
                .expect(200)
            ).text,
          ) as OpenAPIObject
        ).servers;
      expect(await serversFor('shop.example.test')).toEqual([{ url: 'https://shop.example.test' }]);
      expect(await serversFor('evil.example:666')).toEqual([
        { url: `http://localhost:${new URL(baseUrl(proxied)).port}` },
      ]);
    } finally {
      await proxied.close();
    }
  });

  it('names the request origin, never "", when PUBLIC_URL= and SWAGGER_ENABLED= are empty (.env.example)', async () => {
    const saved = {
      PUBLIC_URL: process.env.PUBLIC_URL,
      SWAGGER_ENABLED: process.env.SWAGGER_ENABLED,
    };
    Object.assign(process.env, { PUBLIC_URL: '', SWAGGER_ENABLED: '' });
    try {
      await withTestApp(database, {}, async (fromEnvExample) => {
        const doc = JSON.parse((await http(fromEnvExample).get('/api-doc').expect(200)).text);
        expect(doc.servers).toEqual([{ url: baseUrl(fromEnvExample) }]);
      });
    } finally {
      for (const [key, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    }
  });

  it('types every path parameter as an id with an example, so importers can send the request', () => {
    const ids = all.flatMap((operation) =>
      ((operation.parameters ?? []) as ParameterObject[]).filter((p) => p.in === 'path'),
    );
    expect(ids.length).toBeGreaterThanOrEqual(6);
    for (const parameter of ids) {
      const schema = parameter.schema as SchemaObject;
      expect(parameter).toMatchObject({ name: 'id', required: true });
      expect(schema).toMatchObject({ type: 'string', pattern: '^[0-9a-fA-F]{24}$' });
      expect(parameter.example).toMatch(new RegExp(schema.pattern!));
      expect(schema.example).toBe(parameter.example);
    }
  });

  it('gives every property of every request body an example', () => {
    const schemas = spec.components!.schemas as Record<string, SchemaObject>;
    const bodies = all.filter((operation) => operation.requestBody);
    expect(bodies.length).toBeGreaterThanOrEqual(5);
    for (const operation of bodies) {
      const { schema } = (operation.requestBody as RequestBodyObject).content['application/json'];
      const resolved = schemas[(schema as ReferenceObject).$ref.split('/').pop()!];
      for (const [name, property] of Object.entries(resolved.properties ?? {})) {
        expect([operation.path, name, (property as SchemaObject).example]).toEqual([
          operation.path,
          name,
          expect.anything(),
        ]);
      }
    }
  });

  it('names PUBLIC_URL as the server when it is configured', async () => {
    const proxied = await createTestApp(database, { PUBLIC_URL: 'https://shop.example.test/' });
    try {
      const doc = JSON.parse((await http(proxied).get('/api-doc').expect(200)).text);
      expect(doc.servers).toEqual([{ url: 'https://shop.example.test' }]);
    } finally {
      await proxied.close();
    }
  });

  it('documents the leaderboard units and the paged /purchases/me', async () => {
    const schemas = spec.components!.schemas as Record<string, { properties: object }>;
    expect(Object.keys(schemas.LeaderboardDto.properties)).toContain('unitsSold');
    expect(Object.keys(schemas.SaleDto.properties)).toContain('createdAt');
    expect(Object.keys(schemas.MyPurchasePageDto.properties).sort()).toEqual([
      'items',
      'limit',
      'page',
      'total',
    ]);
    // A registered user sees the same page shape the document promises.
    const user = await registerUser(app);
    const mine = await http(app).get('/api/purchases/me').auth(user.token, { type: 'bearer' });
    expect(Object.keys(mine.body).sort()).toEqual(['items', 'limit', 'page', 'total']);
  });
});
