import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AppContext, makeApp } from '../../lambdas/http/app';
import type { ApiEvent } from '../../lambdas/http/types';
import { composeLocal, type LocalHome } from '../../lambdas/local/compose';

const event = (path: string, key?: string): ApiEvent =>
  ({
    httpMethod: 'GET',
    path,
    headers: key ? { authorization: `Bearer ${key}` } : {},
    queryStringParameters: null,
    body: null,
    isBase64Encoded: false,
    requestContext: {},
  }) as unknown as ApiEvent;

describe('CORS for the dashboard origin', () => {
  let dir: string;
  let home: LocalHome;
  let key: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'oprag-cors-'));
    home = composeLocal(dir);
    key = (await home.services.keys.createCompany('Cors Co')).api_key.key;
  });
  afterAll(async () => {
    await home.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stamps the allowed origin on answers and on errors, with the request id exposed', async () => {
    const app = makeApp(home.services, {
      maxBodyBytes: home.settings.maxBodyBytes,
      logger: home.logger,
      corsOrigin: 'https://dashboard.example.com',
    });
    for (const [path, auth, status] of [
      ['/v1/company', key, 200],
      ['/v1/company', undefined, 401],
      ['/v1/nowhere', key, 404],
    ] as const) {
      const res = await app(event(path, auth), {} as AppContext);
      expect(res.statusCode).toBe(status);
      expect(res.headers).toMatchObject({
        'access-control-allow-origin': 'https://dashboard.example.com',
        'access-control-expose-headers': 'x-request-id, retry-after',
      });
      expect(res.headers?.['x-request-id']).toMatch(/^req_/);
    }
  });

  it('sends no CORS headers when no dashboard origin is configured', async () => {
    const res = await makeApp(home.services, { maxBodyBytes: home.settings.maxBodyBytes, logger: home.logger })(
      event('/v1/company', key),
      {} as AppContext,
    );
    expect(res.statusCode).toBe(200);
    expect(res.headers).not.toHaveProperty('access-control-allow-origin');
  });
});
