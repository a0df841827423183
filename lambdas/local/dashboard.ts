import { readFile, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, resolve, sep } from 'node:path';

/** Where `npm run build:dashboard` writes the dashboard. */
export const DASHBOARD_DIR = resolve(__dirname, '..', '..', 'dist', 'dashboard');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};

const NOT_BUILT = `<!doctype html><html lang="en"><meta charset="utf-8"><title>Oprag</title>
<h1>The dashboard is not built</h1>
<p>Run <code>npm run build:dashboard</code> (or <code>npm start</code>, which builds it first), then reload.</p>
<p>The API is served under <code>/v1</code>.</p></html>\n`;

/** The API origin named in config.json, when the dashboard talks to another origin. */
async function apiOrigin(root: string): Promise<string | null> {
  try {
    const config = JSON.parse(await readFile(join(root, 'config.json'), 'utf8')) as { apiBaseUrl?: unknown };
    if (typeof config.apiBaseUrl !== 'string' || !config.apiBaseUrl) return null;
    const url = new URL(config.apiBaseUrl);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.origin : null;
  } catch {
    return null;
  }
}

/** The dashboard's Content-Security-Policy: its own scripts and styles only; the API may be elsewhere. */
export function dashboardCsp(api: string | null): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    `connect-src 'self'${api ? ` ${api}` : ''}`,
    "img-src 'self' data:",
    "frame-ancestors 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "object-src 'none'",
  ].join('; ');
}

function isApiPath(path: string): boolean {
  return path === '/v1' || path.startsWith('/v1/');
}

/**
 * Serves the built dashboard for GET and HEAD requests outside /v1: files from `root`, and
 * index.html for `/` and for paths that name no file (the app routes itself). Nothing outside
 * `root` can be reached: dot segments, encoded or not, backslashes and NUL bytes are refused.
 * Returns false when the request is the API's.
 */
export function makeDashboardServer(root: string = DASHBOARD_DIR) {
  const base = resolve(root);
  return async function serveDashboard(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    const requestTarget = req.url ?? '/';
    // origin-form as sent; an absolute-form target (`GET http://host/v1/...`) by its path
    let rawPath = requestTarget.split('?')[0].split('#')[0];
    if (!requestTarget.startsWith('/')) {
      try {
        rawPath = new URL(requestTarget).pathname;
      } catch {
        rawPath = '/';
      }
    }
    if (isApiPath(rawPath)) return false;

    const reply = (status: number, type: string, body: Buffer | string, csp: string) => {
      const buf = Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8');
      res.writeHead(status, {
        'content-type': type,
        'content-length': buf.length,
        'content-security-policy': csp,
        'x-content-type-options': 'nosniff',
        'x-frame-options': 'DENY',
        'referrer-policy': 'no-referrer',
        'cache-control': 'no-cache',
      });
      res.end(req.method === 'HEAD' ? undefined : buf);
      return true;
    };

    let path: string;
    try {
      path = decodeURIComponent(rawPath);
    } catch {
      return reply(400, 'text/plain; charset=utf-8', 'bad path\n', dashboardCsp(null));
    }
    if (isApiPath(path)) return false;
    const segments = path.split('/').filter(Boolean);
    if (
      path.includes('\0') ||
      path.includes('\\') ||
      segments.some((s) => s === '..' || s === '.' || s.startsWith('.'))
    ) {
      return reply(404, 'text/plain; charset=utf-8', 'not found\n', dashboardCsp(null));
    }

    const indexFile = join(base, 'index.html');
    const built = await stat(indexFile).then(
      (s) => s.isFile(),
      () => false,
    );
    const csp = dashboardCsp(built ? await apiOrigin(base) : null);
    if (!built) return reply(503, 'text/html; charset=utf-8', NOT_BUILT, csp);

    const target = resolve(base, ...segments);
    if (target !== base && !target.startsWith(base + sep)) {
      return reply(404, 'text/plain; charset=utf-8', 'not found\n', csp);
    }
    const file = segments.length
      ? await stat(target).then(
          (s) => (s.isFile() ? target : null),
          () => null,
        )
      : null;
    if (file) {
      const type = TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream';
      return reply(200, type, await readFile(file), csp);
    }
    // a path that names a file which is not there is a 404; anything else is the app's own route
    if (extname(segments[segments.length - 1] ?? '')) {
      return reply(404, 'text/plain; charset=utf-8', 'not found\n', csp);
    }
    return reply(200, 'text/html; charset=utf-8', await readFile(indexFile), csp);
  };
}

/** The dashboard from dist/dashboard, as the local server serves it. */
export const serveDashboard = makeDashboardServer();
