import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildDashboard } from '../../dashboard/build';
import { markdownToHtml } from '../../dashboard/markdown';
import { makeDashboardServer } from '../../lambdas/local/dashboard';
import { startTestServer, type TestServer } from '../helpers/server';

interface Raw {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A request with the path sent exactly as written (fetch would normalise the dot segments away). */
function raw(base: string, path: string, method = 'GET'): Promise<Raw> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ hostname, port, path, method }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (d: Buffer) => parts.push(d));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts).toString('utf8') }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

/** A loopback server that answers only with the dashboard handler (404 from here when it declines). */
async function dashboardOnly(root: string): Promise<{ url: string; server: Server }> {
  const serve = makeDashboardServer(root);
  const server = createServer(async (req, res) => {
    if (await serve(req, res)) return;
    res.writeHead(418).end('declined');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

describe('serving the dashboard', () => {
  let t: TestServer;
  let work: string;
  let outDir: string;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'oprag-dash-'));
    outDir = join(work, 'build');
    await buildDashboard(outDir);
    await buildDashboard(undefined, { ifChanged: true }); // the one the local server serves
    t = await startTestServer();
  }, 30_000);

  afterAll(async () => {
    await t?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('builds the app, its page, styles, config.json and the security page', () => {
    expect(readFileSync(join(outDir, 'index.html'), 'utf8')).toContain('<script src="app.js" defer></script>');
    expect(readFileSync(join(outDir, 'app.js'), 'utf8').length).toBeGreaterThan(10_000);
    expect(JSON.parse(readFileSync(join(outDir, 'config.json'), 'utf8'))).toEqual({ apiBaseUrl: '' });
    expect(readFileSync(join(outDir, 'security.html'), 'utf8')).toMatch(/<h1[^>]*>/);
  });

  it('serves / and app routes as index.html, files with their types, under a strict CSP', async () => {
    for (const path of ['/', '/security', '/projects/prj_x/documents', '/help/refunds?x=1']) {
      const res = await raw(t.url, path);
      expect({ path, status: res.status, type: res.headers['content-type'] }).toEqual({
        path,
        status: 200,
        type: 'text/html; charset=utf-8',
      });
      expect(res.body).toContain('<div id="app">');
      expect(res.headers['content-security-policy']).toBe(
        "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'",
      );
      expect(res.headers['x-content-type-options']).toBe('nosniff');
    }
    const types: Record<string, string> = {
      '/app.js': 'text/javascript; charset=utf-8',
      '/styles.css': 'text/css; charset=utf-8',
      '/config.json': 'application/json; charset=utf-8',
      '/security.html': 'text/html; charset=utf-8',
    };
    for (const [path, type] of Object.entries(types)) {
      const res = await raw(t.url, path);
      expect({ path, status: res.status, type: res.headers['content-type'] }).toEqual({ path, status: 200, type });
    }
    const head = await raw(t.url, '/app.js', 'HEAD');
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
    expect(Number(head.headers['content-length'])).toBeGreaterThan(10_000);
    // a file name that is not there is a 404, not the app
    expect((await raw(t.url, '/missing.js')).status).toBe(404);
  });

  it('leaves /v1 and every other method to the API', async () => {
    const api = await raw(t.url, '/v1/projects');
    expect(api.status).toBe(401);
    expect(JSON.parse(api.body).error.type).toBe('unauthorized');
    const encoded = await raw(t.url, '/%76%31/projects');
    expect(encoded.headers['content-type']).toBe('application/json');
    const absolute = await raw(t.url, `${t.url}/v1/projects`);
    expect(absolute.status).toBe(401);
    expect(absolute.headers['content-type']).toBe('application/json');
    const post = await raw(t.url, '/', 'POST');
    expect(post.status).toBe(404);
    expect(JSON.parse(post.body).error.type).toBe('not_found');
  });

  it('never serves a file outside the build', async () => {
    const secret = 'oprag-dashboard-traversal-marker';
    writeFileSync(join(work, 'secret.txt'), secret);
    mkdirSync(join(outDir, 'sub'), { recursive: true });
    const { url, server } = await dashboardOnly(outDir);
    try {
      const attempts = [
        '/../secret.txt',
        '/sub/../../secret.txt',
        '/%2e%2e/secret.txt',
        '/%2E%2E%2Fsecret.txt',
        '/sub/%2e%2e%2f%2e%2e%2fsecret.txt',
        '/..%5csecret.txt',
        '/%5c..%5csecret.txt',
        '/secret.txt%00.html',
        '/.build-stamp',
        '/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd',
        '//etc/passwd',
        `/${encodeURIComponent(join(work, 'secret.txt'))}`,
      ];
      for (const path of attempts) {
        const res = await raw(url, path);
        expect({ path, leaked: res.body.includes(secret) || res.body.includes('root:') }).toEqual({
          path,
          leaked: false,
        });
        expect({ path, ok: res.status === 404 || res.status === 400 || res.body.includes('<div id="app">') }).toEqual({
          path,
          ok: true,
        });
      }
      expect((await raw(url, '/%E0%A4%A')).status).toBe(400);
      expect((await raw(url, '/v1/anything')).status).toBe(418);
    } finally {
      server.close();
    }
  });

  it('names the configured API origin in connect-src', async () => {
    const other = join(work, 'other');
    await buildDashboard(other, { apiBaseUrl: 'https://abc123.execute-api.eu-west-1.amazonaws.com/prod' });
    const { url, server } = await dashboardOnly(other);
    try {
      const res = await raw(url, '/');
      expect(res.headers['content-security-policy']).toContain(
        "connect-src 'self' https://abc123.execute-api.eu-west-1.amazonaws.com;",
      );
      expect(JSON.parse((await raw(url, '/config.json')).body).apiBaseUrl).toBe(
        'https://abc123.execute-api.eu-west-1.amazonaws.com/prod',
      );
    } finally {
      server.close();
    }
  });

  it('answers with a page saying how to build when there is no build', async () => {
    const { url, server } = await dashboardOnly(join(work, 'never-built'));
    try {
      const res = await raw(url, '/');
      expect(res.status).toBe(503);
      expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(res.body).toContain('npm run build:dashboard');
    } finally {
      server.close();
    }
  });

  it('keeps an unchanged build and rebuilds a changed one', async () => {
    const again = await buildDashboard(outDir, { ifChanged: true });
    expect(again.skipped).toBe(true);
    const other = await buildDashboard(outDir, { ifChanged: true, apiBaseUrl: 'https://api.example.com' });
    expect(other.skipped).toBe(false);
  });

  it('converts Markdown to escaped HTML, with no way to inject markup or script', () => {
    const html = markdownToHtml(
      [
        '# Security <script>alert(1)</script>',
        '',
        'Keys are **hashed** with `sha256(<key>)`; see [API](../shared/API.md) and [bad](javascript:alert(1)).',
        '',
        '- one <img src=x onerror=alert(1)>',
        '- two',
        '',
        '| a | b |',
        '| --- | --- |',
        '| <b>x</b> | y |',
        '',
        '```ts',
        'const a = "<tag>";',
        '```',
      ].join('\n'),
    );
    expect(html).toContain('<h1 id="security-scriptalert1script">Security &lt;script&gt;alert(1)&lt;/script&gt;</h1>');
    expect(html).toContain('<strong>hashed</strong>');
    expect(html).toContain('<code>sha256(&lt;key&gt;)</code>');
    expect(html).toContain('<a href="../shared/API.md">API</a>');
    expect(html).not.toContain('javascript:');
    expect(html).toContain('<li>one &lt;img src=x onerror=alert(1)&gt;</li>');
    expect(html).toContain('<td>&lt;b&gt;x&lt;/b&gt;</td>');
    expect(html).toContain('<pre><code class="language-ts">const a = &quot;&lt;tag&gt;&quot;;</code></pre>');
    expect(html).not.toMatch(/<(script|img|b)[\s>]/);
  });
});
