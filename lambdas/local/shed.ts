import type { IncomingMessage, Server } from 'node:http';
import { Invalid, RateLimited, type TooLarge } from '../core/errors';

/**
 * What the local server allows a client before it sheds it. Every byte of a body is read only
 * after the caller's key (or upload token) holds, so these bound what a client without one, or
 * a slow or flooding one, can cost: connections, time, and bytes read.
 */
export interface ShedLimits {
  /** connections open at once; past it a new connection is closed as it is accepted */
  maxConnections: number;
  /** upload bodies (`PUT /v1/uploads/{token}`) read at once; past it a PUT gets `429` with `Retry-After` */
  maxConcurrentUploads: number;
  /** time a client has to send a request's headers; past it the connection is closed (`408`) */
  headersTimeoutMs: number;
  /** time a client has to send a whole request, headers and body */
  requestTimeoutMs: number;
  /** the slowest body kept: fewer bytes than this rate in any window closes the connection */
  minBodyBytesPerSecond: number;
  /** the window `minBodyBytesPerSecond` is measured over */
  bodyRateWindowMs: number;
  /** how long an idle keep-alive connection is announced to stay open (`Keep-Alive: timeout=`), whole seconds */
  keepAliveSeconds: number;
  /**
   * bytes of a body read and thrown away after an answer sent before the body was read (a 401, a
   * 404, a 413), so the client sees that answer rather than a reset; past them the connection closes
   */
  discardBytes: number;
  /** how often the server checks the header and request timeouts */
  checkIntervalMs: number;
}

export const DEFAULT_SHED_LIMITS: ShedLimits = {
  maxConnections: 512,
  maxConcurrentUploads: 8,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 300_000,
  minBodyBytesPerSecond: 16 * 1024,
  bodyRateWindowMs: 5_000,
  keepAliveSeconds: 5,
  discardBytes: 8 * 2 ** 20,
  checkIntervalMs: 1_000,
};

const ENV: Record<keyof ShedLimits, string> = {
  maxConnections: 'OPRAG_MAX_CONNECTIONS',
  maxConcurrentUploads: 'OPRAG_MAX_CONCURRENT_UPLOADS',
  headersTimeoutMs: 'OPRAG_HEADERS_TIMEOUT_MS',
  requestTimeoutMs: 'OPRAG_REQUEST_TIMEOUT_MS',
  minBodyBytesPerSecond: 'OPRAG_MIN_BODY_BYTES_PER_SECOND',
  bodyRateWindowMs: 'OPRAG_BODY_RATE_WINDOW_MS',
  keepAliveSeconds: 'OPRAG_KEEP_ALIVE_SECONDS',
  discardBytes: 'OPRAG_DISCARD_BYTES',
  checkIntervalMs: 'OPRAG_TIMEOUT_CHECK_MS',
};

/** The limits an operator set in the environment (`OPRAG_MAX_CONNECTIONS`, ...); whole positive numbers. */
export function shedLimitsFromEnv(env: Record<string, string | undefined>): Partial<ShedLimits> {
  const out: Partial<ShedLimits> = {};
  for (const [name, variable] of Object.entries(ENV) as [keyof ShedLimits, string][]) {
    const value = env[variable];
    if (value === undefined || value === '') continue;
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new Error(`${variable} must be a whole number above 0`);
    out[name] = n;
  }
  return out;
}

/** What the server has read and shed, for operators and tests. */
export interface ShedStats {
  connectionsAccepted: number;
  connectionsOpen: number;
  /** body bytes handed to the app: read only for callers whose key or upload token holds */
  bodyBytesRead: number;
  /** body bytes read and thrown away after an early answer */
  bodyBytesDiscarded: number;
  /** connections closed for a body slower than `minBodyBytesPerSecond` or past `discardBytes` */
  connectionsShed: number;
  uploadsActive: number;
}

/** Applies the connection-level limits to a Node server, and reads bodies within the body-level ones. */
export class Shedder {
  readonly stats: ShedStats = {
    connectionsAccepted: 0,
    connectionsOpen: 0,
    bodyBytesRead: 0,
    bodyBytesDiscarded: 0,
    connectionsShed: 0,
    uploadsActive: 0,
  };

  constructor(readonly limits: ShedLimits) {}

  /** Node's own guards: connection cap, header and request timeouts, keep-alive. */
  apply(server: Server): void {
    const l = this.limits;
    server.maxConnections = l.maxConnections;
    server.headersTimeout = Math.min(l.headersTimeoutMs, l.requestTimeoutMs);
    server.requestTimeout = l.requestTimeoutMs;
    // Node announces `timeout=` in whole seconds, rounded down, and closes at the exact time: the
    // extra 999 ms keep the server's close always after the last moment the client was told it
    // may send, so a reused connection never meets the server closing it
    server.keepAliveTimeout = l.keepAliveSeconds * 1000 + 999;
    server.on('connection', (socket) => {
      this.stats.connectionsAccepted++;
      this.stats.connectionsOpen++;
      socket.once('close', () => this.stats.connectionsOpen--);
    });
  }

  /**
   * Closes the request's connection if its body comes slower than the minimum rate; returns
   * the function that stops watching. `counted` is how many bytes arrived so far.
   */
  private watchRate(req: IncomingMessage, counted: () => number, onShed: () => void): () => void {
    const { bodyRateWindowMs, minBodyBytesPerSecond } = this.limits;
    const least = (minBodyBytesPerSecond * bodyRateWindowMs) / 1000;
    let last = counted();
    const timer = setInterval(() => {
      const now = counted();
      if (now - last < least && !req.complete) {
        clearInterval(timer);
        this.stats.connectionsShed++;
        onShed();
        req.socket.destroy();
        return;
      }
      last = now;
    }, bodyRateWindowMs);
    timer.unref();
    return () => clearInterval(timer);
  }

  /**
   * Reads a request's body of at most `limit` bytes, called once the caller is authorized.
   * Over the limit (declared or counted) it fails with `tooLarge` and leaves the rest unread;
   * an upload past `maxConcurrentUploads` gets `429`. `start` runs once the body is wanted (the
   * server's `100 Continue`, for a client that waits for it).
   */
  readBody(
    req: IncomingMessage,
    limit: number,
    upload: boolean,
    tooLarge: () => TooLarge | Invalid,
    start: () => void = () => undefined,
  ): Promise<Buffer> {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > limit) return Promise.reject(tooLarge());
    if (upload && this.stats.uploadsActive >= this.limits.maxConcurrentUploads) {
      return Promise.reject(new RateLimited('the server is taking as many uploads as it can; try again shortly', 1));
    }
    if (upload) this.stats.uploadsActive++;
    start();
    return new Promise<Buffer>((resolve, reject) => {
      const parts: Buffer[] = [];
      let size = 0;
      let settled = false;
      const finish = (error: Error | null) => {
        if (settled) return;
        settled = true;
        stop();
        if (upload) this.stats.uploadsActive--;
        req.off('data', onData);
        req.off('end', onEnd);
        req.off('close', onClose);
        if (error) {
          req.pause();
          reject(error);
        } else resolve(Buffer.concat(parts));
      };
      const onData = (d: Buffer) => {
        size += d.length;
        if (size > limit) {
          parts.length = 0; // let go of what was read so far
          finish(tooLarge());
          return;
        }
        this.stats.bodyBytesRead += d.length;
        parts.push(d);
      };
      const onEnd = () => finish(null);
      const onClose = () => finish(new Invalid('the request ended before its body did'));
      const stop = this.watchRate(
        req,
        () => size,
        () => finish(new Invalid('the body came too slowly; the connection was closed')),
      );
      req.on('data', onData);
      req.on('end', onEnd);
      req.on('close', onClose);
    });
  }

  /**
   * After an answer sent before the body was read: reads what the client still sends and throws
   * it away, up to `discardBytes` and at the minimum rate, so the client reads the answer
   * instead of a reset; the connection then stays usable, or is closed past either bound.
   */
  discardRest(req: IncomingMessage): void {
    if (req.readableEnded) return;
    let thrown = 0;
    const stop = this.watchRate(
      req,
      () => thrown,
      () => undefined,
    );
    req.on('data', (d: Buffer) => {
      thrown += d.length;
      this.stats.bodyBytesDiscarded += d.length;
      if (thrown > this.limits.discardBytes) {
        stop();
        this.stats.connectionsShed++;
        req.socket.destroy();
      }
    });
    req.once('end', stop);
    req.once('close', stop);
    req.resume();
  }
}
