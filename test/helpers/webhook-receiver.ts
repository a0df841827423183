import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Delivery {
  headers: IncomingHttpHeaders;
  body: string;
  json: {
    id: string;
    type: string;
    created_at: string;
    project_id: string;
    document: { id: string; status: string; error?: string };
  };
}

export interface Receiver {
  url: string;
  deliveries: Delivery[];
  close(): Promise<void>;
}

/**
 * A webhook receiver on a loopback port. It answers with the statuses in `script`, in order,
 * then with `fallback`; `delayMs` holds every answer back that long, `hold` until it resolves.
 */
export async function startReceiver(
  opts: { script?: number[]; fallback?: number; delayMs?: number; hold?: Promise<void> } = {},
): Promise<Receiver> {
  const script = [...(opts.script ?? [])];
  const deliveries: Delivery[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d: string) => {
      body += d;
    });
    req.on('end', () => {
      deliveries.push({ headers: req.headers, body, json: JSON.parse(body) });
      const status = script.shift() ?? opts.fallback ?? 200;
      const answer = () => setTimeout(() => res.writeHead(status).end(), opts.delayMs ?? 0);
      if (opts.hold) void opts.hold.then(answer);
      else answer();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/oprag`,
    deliveries,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A loopback URL on which nothing listens. */
export async function deadUrl(): Promise<string> {
  const r = await startReceiver();
  await r.close();
  return r.url;
}
