import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createServer as createTlsServer } from 'node:tls';
import { HttpWebhookSender, WebhookRefused } from '../../lambdas/adapters/http-webhook-sender';

/** A loopback receiver that counts requests and answers with `status` (and a Location for 3xx). */
function receiver(status: number) {
  const seen: { url: string; body: string; signature: string | undefined }[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => {
      body += d;
    });
    req.on('end', () => {
      seen.push({ url: req.url ?? '', body, signature: req.headers['x-oprag-signature'] as string | undefined });
      res.writeHead(status, status >= 300 && status < 400 ? { location: '/elsewhere' } : {});
      res.end('ok');
    });
  });
  return {
    seen,
    async start() {
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      return (server.address() as AddressInfo).port;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('HttpWebhookSender', () => {
  const headers = { 'content-type': 'application/json', 'x-oprag-signature': 'v1=abc' };

  it('refuses, at send time, a host name that resolves to a loopback address', async () => {
    const r = receiver(200);
    const port = await r.start();
    try {
      const sender = new HttpWebhookSender({ allowPrivate: false, resolve: async () => ['203.0.113.9', '127.0.0.1'] });
      await expect(sender.send(`https://hooks.example.com:${port}/x`, '{}', headers)).rejects.toBeInstanceOf(
        WebhookRefused,
      );
      // the system resolver: the sender checks what a name resolves to, not how it is spelled
      const real = new HttpWebhookSender({ allowPrivate: false });
      await expect(real.send(`https://localhost:${port}/x`, '{}', headers)).rejects.toBeInstanceOf(WebhookRefused);
      await expect(real.send(`https://127.0.0.1:${port}/x`, '{}', headers)).rejects.toBeInstanceOf(WebhookRefused);
      await expect(real.send(`http://127.0.0.1:${port}/x`, '{}', headers)).rejects.toBeInstanceOf(WebhookRefused);
      expect(r.seen).toHaveLength(0);
    } finally {
      await r.close();
    }
  });

  it('with allowPrivate, posts the body and headers as given and reports the status', async () => {
    const r = receiver(202);
    const port = await r.start();
    try {
      const sender = new HttpWebhookSender({ allowPrivate: true });
      const res = await sender.send(`http://127.0.0.1:${port}/hook?a=1`, '{"x":1}', headers);
      expect(res.status).toBe(202);
      expect(r.seen).toEqual([{ url: '/hook?a=1', body: '{"x":1}', signature: 'v1=abc' }]);
    } finally {
      await r.close();
    }
  });

  it('never follows a redirect: the 3xx is the answer', async () => {
    const r = receiver(302);
    const port = await r.start();
    try {
      const res = await new HttpWebhookSender({ allowPrivate: true }).send(
        `http://127.0.0.1:${port}/hook`,
        '{}',
        headers,
      );
      expect(res.status).toBe(302);
      expect(r.seen.map((s) => s.url)).toEqual(['/hook']);
    } finally {
      await r.close();
    }
  });

  it('gives up on a receiver slower than its timeout', async () => {
    const server = createServer(() => {
      // never answers
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const sender = new HttpWebhookSender({ allowPrivate: true, timeoutMs: 200 });
      // the receiver never answers: only the sender's own timeout can end the call
      await expect(sender.send(`http://127.0.0.1:${port}/slow`, '{}', headers)).rejects.toMatchObject({
        name: 'TimeoutError',
      });
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

describe('HttpWebhookSender connects to the address it checked', () => {
  const headers = { 'content-type': 'application/json' };

  it('resolves a name once and connects to that address: no second lookup a rebinding server could answer', async () => {
    const r = receiver(204);
    const port = await r.start();
    try {
      const answers = [['127.0.0.1'], ['127.0.0.2']];
      const asked: string[] = [];
      const sender = new HttpWebhookSender({
        allowPrivate: true, // loopback only here; the check itself is the next test's
        resolve: async (host) => {
          asked.push(host);
          return answers.shift() ?? [];
        },
      });
      // the name exists only in this resolver: a connection that looked it up again could not be made
      const res = await sender.send(`http://hooks.pinned.invalid:${port}/hook`, '{"a":1}', headers);
      expect(res.status).toBe(204);
      expect(asked).toEqual(['hooks.pinned.invalid']);
      expect(r.seen.map((s) => [s.url, s.body])).toEqual([['/hook', '{"a":1}']]);
    } finally {
      await r.close();
    }
  });

  it('over https, opens TLS to the pinned address in the name of the host: the certificate is asked for the name', async () => {
    // a TLS endpoint with no certificate: it records the name the client asks for, then the handshake fails
    const names: string[] = [];
    const peers: string[] = [];
    const server = createTlsServer({
      SNICallback: (name, done) => {
        names.push(name);
        done(new Error('no certificate here'), undefined as never);
      },
    });
    server.on('connection', (socket) => peers.push(socket.remoteAddress ?? ''));
    server.on('tlsClientError', () => undefined);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const port = (server.address() as AddressInfo).port;
      const asked: string[] = [];
      const sender = new HttpWebhookSender({
        allowPrivate: true,
        resolve: async (host) => {
          asked.push(host);
          return ['127.0.0.1'];
        },
      });
      await expect(sender.send(`https://hooks.pinned.invalid:${port}/hook`, '{}', headers)).rejects.toThrow();
      expect(asked).toEqual(['hooks.pinned.invalid']);
      expect(peers).toEqual(['127.0.0.1']);
      // the name, not the address: the receiver's certificate is checked against the host of the URL
      expect(names).toEqual(['hooks.pinned.invalid']);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('over https, refuses a receiver whose certificate no authority signed, and sends it nothing', async () => {
    // a receiver with a self-signed certificate for the very name asked: the name matches, the signer is unknown
    const tls = join(__dirname, '../fixtures/tls');
    let requests = 0;
    const server = createHttpsServer(
      { key: readFileSync(join(tls, 'self-signed.key')), cert: readFileSync(join(tls, 'self-signed.crt')) },
      (_req, res) => {
        requests++;
        res.end('ok');
      },
    );
    server.on('tlsClientError', () => undefined);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const port = (server.address() as AddressInfo).port;
      const sender = new HttpWebhookSender({ allowPrivate: true, resolve: async () => ['127.0.0.1'] });
      await expect(sender.send(`https://hooks.pinned.invalid:${port}/hook`, '{"a":1}', headers)).rejects.toThrow(
        /self[- ]signed certificate/i,
      );
      expect(requests).toBe(0);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('refuses a name whose one lookup includes a private address, before connecting', async () => {
    const r = receiver(200);
    const port = await r.start();
    try {
      let lookups = 0;
      const sender = new HttpWebhookSender({
        allowPrivate: false,
        resolve: async () => {
          lookups++;
          return lookups === 1 ? ['::ffff:0:7f00:1'] : ['8.8.8.8'];
        },
      });
      await expect(sender.send(`https://hooks.example.com:${port}/x`, '{}', headers)).rejects.toBeInstanceOf(
        WebhookRefused,
      );
      await expect(sender.send(`https://localhost.:${port}/x`, '{}', headers)).rejects.toBeInstanceOf(WebhookRefused);
      expect(lookups).toBe(1);
      expect(r.seen).toHaveLength(0);
    } finally {
      await r.close();
    }
  });
});
