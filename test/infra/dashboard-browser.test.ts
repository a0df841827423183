import { existsSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join } from 'node:path';
import type { App } from 'aws-cdk-lib';
import type { Context as LambdaContext } from 'aws-lambda';
import type { Browser } from 'playwright-core';
import type { AppContext } from '../../lambdas/http/app';
import { makeApp } from '../../lambdas/http/app';
import { toProxyEvent } from '../../lambdas/local/server';
import { launch, newPage, signIn, submitSignIn } from '../browser/harness';
import { startTestServer, type TestServer } from '../helpers/server';
import { type Json, ofType, synth } from './synth';

/**
 * The dashboard as a stage deploys it, in Chromium: its files served with the response headers
 * of the synthesized CloudFront policy, the SPA fallback of the distribution and the config.json
 * of the deployment; the API on another origin, answering preflights with the synthesized
 * gateway's CORS headers and every other request with the functions' app (CORS for the
 * dashboard origin). Loopback servers stand in for CloudFront and API Gateway; the headers,
 * fallbacks and files are the template's.
 */
jest.setTimeout(90_000);

const { resources, stack } = synth('staging');
const [, distribution] = ofType(resources, 'AWS::CloudFront::Distribution')[0];
const [, policy] = ofType(resources, 'AWS::CloudFront::ResponseHeadersPolicy')[0];
const [, deployment] = ofType(resources, 'Custom::CDKBucketDeployment')[0];
const [restApiId] = ofType(resources, 'AWS::ApiGateway::RestApi')[0];
const STAGE = 'staging';

/** A CloudFormation string with `subst` for each reference it makes. */
function render(value: unknown, subst: Record<string, string>): string {
  if (typeof value === 'string') return value;
  const v = value as Json;
  const id = v.Ref ?? v['Fn::GetAtt']?.[0];
  if (id) {
    if (!(id in subst)) throw new Error(`no stand-in for ${id}`);
    return subst[id];
  }
  if (v['Fn::Join']) return v['Fn::Join'][1].map((p: unknown) => render(p, subst)).join(v['Fn::Join'][0]);
  throw new Error(`cannot render ${JSON.stringify(value)}`);
}

/** The security headers the distribution adds to every response, with the API at `apiOrigin`. */
function distributionHeaders(apiOrigin: string, distributionId: string): Record<string, string> {
  const s = policy.Properties.ResponseHeadersPolicyConfig.SecurityHeadersConfig;
  // the CSP names the gateway's own origin; the stand-in API is at apiOrigin
  const gateway = {
    [restApiId]: 'GATEWAY',
    'AWS::AccountId': 'ACCOUNT',
    'AWS::Region': 'REGION',
    'AWS::URLSuffix': 'SUFFIX',
  };
  const csp = render(s.ContentSecurityPolicy.ContentSecurityPolicy, gateway);
  expect(csp).toContain('https://GATEWAY.execute-api.REGION.SUFFIX');
  expect(distributionId).toBeTruthy();
  return {
    'content-security-policy': csp.replace('https://GATEWAY.execute-api.REGION.SUFFIX', apiOrigin),
    'strict-transport-security': `max-age=${s.StrictTransportSecurity.AccessControlMaxAgeSec}; includeSubDomains`,
    'x-content-type-options': 'nosniff',
    'x-frame-options': s.FrameOptions.FrameOption,
    'referrer-policy': s.ReferrerPolicy.ReferrerPolicy,
  };
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.json': 'application/json',
};

/** Stand-in for the distribution: the deployed objects, the root object, the error responses. */
function distributionServer(objects: () => Map<string, Buffer>, headers: () => Record<string, string>): Server {
  const config = distribution.Properties.DistributionConfig;
  const fallbacks = new Map<number, Json>(config.CustomErrorResponses.map((r: Json) => [r.ErrorCode, r]));
  return createServer((req, res) => {
    let key = decodeURIComponent((req.url ?? '/').split('?')[0]).replace(/^\/+/, '');
    if (key === '') key = config.DefaultRootObject;
    let status = 200;
    let body = objects().get(key);
    if (!body) {
      // without s3:ListBucket, S3 answers a missing key with 403 through Origin Access Control
      const fallback = fallbacks.get(403);
      if (!fallback) {
        res.writeHead(403).end();
        return;
      }
      key = fallback.ResponsePagePath.replace(/^\//, '');
      status = fallback.ResponseCode;
      body = objects().get(key) as Buffer;
    }
    res.writeHead(status, { 'content-type': TYPES[extname(key)] ?? 'application/octet-stream', ...headers() });
    res.end(body);
  });
}

/** The objects the deployment puts in the bucket: the build's files, then config.json. */
function deployedObjects(apiUrl: string): Map<string, Buffer> {
  const outdir = (stack.node.root as App).outdir;
  const dirOf = (objectKey: string) => join(outdir, `asset.${objectKey.replace(/\.zip$/, '')}`);
  const objects = new Map<string, Buffer>();
  const build = dirOf(deployment.Properties.SourceObjectKeys[0]);
  for (const name of ['index.html', 'app.js', 'styles.css', 'security.html']) {
    const file = join(build, name);
    if (existsSync(file)) objects.set(name, readFileSync(file));
  }
  const config = readFileSync(join(dirOf(deployment.Properties.SourceObjectKeys[1]), 'config.json'), 'utf8');
  const [marker] = Object.keys(deployment.Properties.SourceMarkers[1]);
  objects.set('config.json', Buffer.from(config.replace(marker, apiUrl)));
  return objects;
}

/** The gateway's preflight answer for `origin`, as the OPTIONS methods of the template give it. */
function preflightHeaders(dashboardOrigin: string, distributionId: string): Record<string, string> {
  const options = ofType(resources, 'AWS::ApiGateway::Method').find(([, m]) => m.Properties.HttpMethod === 'OPTIONS');
  const params = (options as [string, Json])[1].Properties.Integration.IntegrationResponses[0].ResponseParameters;
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(params)) {
    const header = name.replace('method.response.header.', '');
    out[header] = render(value, { [distributionId]: dashboardOrigin.replace(/^https?:\/\//, '') }).replace(
      /^'(.*)'$/,
      '$1',
    );
  }
  // the template allows https://<distribution domain>; the stand-in dashboard is plain http
  out['Access-Control-Allow-Origin'] = out['Access-Control-Allow-Origin'].replace(/^https:/, 'http:');
  return out;
}

function listen(server: Server): Promise<string> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)),
  );
}

describe('the deployed dashboard, cross-origin from its API, in Chromium', () => {
  const distributionId = ofType(resources, 'AWS::CloudFront::Distribution')[0][0];
  let t: TestServer;
  let browser: Browser;
  let site: Server;
  let gateway: Server;
  let siteUrl = '';
  let apiOrigin = '';
  let headers: Record<string, string> = {};
  const seen: { method: string; path: string; origin?: string }[] = [];

  beforeAll(async () => {
    t = await startTestServer();
    await t.project('Acme Corp');
    let objects = new Map<string, Buffer>();
    site = distributionServer(
      () => objects,
      () => headers,
    );
    siteUrl = await listen(site);

    const app = makeApp(t.server.services, {
      maxBodyBytes: t.server.home.settings.maxBodyBytes,
      logger: t.server.home.logger,
      corsOrigin: siteUrl,
    });
    const preflight = () => preflightHeaders(siteUrl, distributionId);
    gateway = createServer(async (req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      seen.push({ method: req.method ?? '', path: req.url ?? '', origin: req.headers.origin });
      if (req.method === 'OPTIONS') {
        res.writeHead(204, preflight()).end();
        return;
      }
      // API Gateway serves the stage under /<stage>
      if (!req.url?.startsWith(`/${STAGE}/`)) {
        res.writeHead(403).end();
        return;
      }
      req.url = req.url.slice(STAGE.length + 1);
      const context = { awsRequestId: 'r', getRemainingTimeInMillis: () => 29_000 } as unknown as LambdaContext;
      const result = await app(toProxyEvent(req, Buffer.concat(chunks)), context as AppContext);
      const body = result.isBase64Encoded ? Buffer.from(result.body, 'base64') : Buffer.from(result.body ?? '');
      res.writeHead(result.statusCode, result.headers as Record<string, string>).end(body);
    });
    apiOrigin = await listen(gateway);
    objects = deployedObjects(`${apiOrigin}/${STAGE}/`);
    headers = distributionHeaders(apiOrigin, distributionId);
    browser = await launch();
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise((r) => site?.close(r));
    await new Promise((r) => gateway?.close(r));
    await t?.close();
  });

  it("signs in and lists the company's projects through the API's origin, with no CSP violation", async () => {
    const { page, problems } = await newPage(browser);
    await signIn(page, siteUrl, t.adminKey);
    await page.getByRole('heading', { name: 'Projects' }).waitFor();
    await page.getByText('Acme Corp').first().waitFor();

    expect(problems).toEqual([]);
    // the page called the API across origins: preflights first, then the calls, all from the dashboard's origin
    expect(seen.some((r) => r.method === 'OPTIONS' && r.origin === siteUrl)).toBe(true);
    expect(seen.some((r) => r.method === 'GET' && r.path.startsWith(`/${STAGE}/v1/`) && r.origin === siteUrl)).toBe(
      true,
    );
    await page.context().close();
  });

  it('serves /security through the fallback to index.html, rendering the security page', async () => {
    const { page, problems } = await newPage(browser);
    const res = await page.goto(`${siteUrl}/security`);

    expect(res?.status()).toBe(200);
    expect(res?.headers()['content-security-policy']).toContain(`connect-src 'self' ${apiOrigin}`);
    await page.getByRole('heading', { name: 'Security', level: 1 }).waitFor();
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it('is blocked by the same CSP when it does not name the API origin', async () => {
    const saved = headers;
    headers = {
      ...saved,
      'content-security-policy': saved['content-security-policy'].replace(` ${apiOrigin}`, ''),
    };
    try {
      const { page, problems } = await newPage(browser);
      const blocked = page.waitForEvent('console', {
        predicate: (m) => /Content Security Policy|Refused to connect/.test(m.text()),
        timeout: 30_000,
      });
      await submitSignIn(page, siteUrl, t.adminKey);
      await blocked;

      expect(problems.join('\n')).toMatch(/Content Security Policy|Refused to connect/);
      expect(await page.getByRole('heading', { name: 'Projects' }).count()).toBe(0);
      await page.context().close();
    } finally {
      headers = saved;
    }
  });
});
