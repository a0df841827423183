import { chmodSync, existsSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Context as LambdaContext } from 'aws-lambda';
import { newId } from '../core/ids';
import { type AppContext, makeApp } from '../http/app';
import { tooLarge } from '../http/body';
import { errorResult } from '../http/errors';
import type { ApiEvent, ApiResult } from '../http/types';
import type { Clock, Generator, Logger } from '../ports';
import type { Settings } from '../service/context';
import { composeLocal } from './compose';
import { serveDashboard } from './dashboard';
import { DropFolderWatcher } from './drop-watcher';
import { DEFAULT_SHED_LIMITS, Shedder, type ShedLimits } from './shed';

export interface ServerOptions {
  dataDir: string;
  port?: number;
  host?: string;
  /** seconds between drop-folder scans; 0 turns the watcher off */
  dropIntervalSeconds?: number;
  publicUrl?: string;
  settings?: Partial<Settings>;
  /** where the server reports what it does (the demo key, listening) */
  print?: (line: string) => void;
  /** where requests and failures are logged; JSON lines on stderr (OPRAG_LOG_LEVEL) by default */
  logger?: Logger;
  /**
   * the least level the default logger writes when OPRAG_LOG_LEVEL does not say: a server run
   * inside a command (an evaluation, a benchmark) passes `warn`, so its output stays the command's
   */
  quietLogLevel?: 'warn' | 'error';
  /** the time the services see (key expiry, rate windows, timestamps); the system clock by default */
  clock?: Clock;
  /** what a client may cost before it is shed (connections, timeouts, body rate); see shed.ts */
  limits?: Partial<ShedLimits>;
  /** the generator the answers use instead of the configured one (tests) */
  generator?: Generator;
  /** threads that run searches and answers (OPRAG_READ_THREADS, else one per core; 0: on the event loop) */
  readThreads?: number;
  /** the read threads' entry file (tests) */
  readEntry?: string;
}

/**
 * A Node request as the API Gateway REST proxy event the Lambdas receive, carrying the request's
 * id as API Gateway's would. With `raw`, the body rides along as bytes (upload PUTs of up to
 * 100 MB) rather than as a base64 copy.
 */
export function toProxyEvent(req: IncomingMessage, body: Buffer, raw = false, requestId = newId('request')): ApiEvent {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers))
    if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
  const query: Record<string, string> = {};
  for (const [k, v] of url.searchParams) query[k] = v;
  return {
    httpMethod: req.method ?? 'GET',
    path: url.pathname,
    resource: url.pathname,
    headers,
    multiValueHeaders: {},
    queryStringParameters: Object.keys(query).length ? query : null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    body: body.length && !raw ? body.toString('base64') : null,
    isBase64Encoded: body.length > 0 && !raw,
    rawBody: raw ? body : undefined,
    requestContext: {
      requestId,
      stage: 'local',
      domainName: headers.host ?? 'localhost',
      httpMethod: req.method ?? 'GET',
      path: url.pathname,
      protocol: 'HTTP/1.1',
      requestTimeEpoch: Date.now(),
      identity: { sourceIp: req.socket.remoteAddress ?? '' },
    } as unknown as ApiEvent['requestContext'],
  };
}

async function send(res: ServerResponse, result: ApiResult): Promise<void> {
  if (result.stream) {
    // each piece goes out as it comes (chunked), not held for a length
    res.writeHead(result.statusCode, { ...(result.headers as Record<string, string>), 'x-accel-buffering': 'no' });
    res.flushHeaders();
    for await (const piece of result.stream) {
      if (res.destroyed) continue; // the caller left: let the stream finish its bookkeeping
      if (!res.write(piece)) await new Promise<void>((resolve) => res.once('drain', resolve).once('close', resolve));
    }
    res.end();
    return;
  }
  const body = result.isBase64Encoded ? Buffer.from(result.body, 'base64') : Buffer.from(result.body ?? '', 'utf8');
  res.writeHead(result.statusCode, { ...(result.headers as Record<string, string>), 'content-length': body.length });
  res.end(body);
}

/**
 * Starts the embedded home: the API on a loopback port, the ingest queue, the drop-folder
 * watcher, and on first start a demo company whose admin key is printed once and saved.
 */
export async function startServer(opts: ServerOptions) {
  const print = opts.print ?? ((line: string) => process.stdout.write(`${line}\n`));
  const home = composeLocal(opts.dataDir, opts.settings, {
    logger: opts.logger,
    quietLogLevel: opts.quietLogLevel,
    clock: opts.clock,
    generator: opts.generator,
    readThreads: opts.readThreads,
    readEntry: opts.readEntry,
  });
  const { services, settings, logger } = home;
  const app = makeApp(services, {
    publicUrl: opts.publicUrl,
    maxBodyBytes: settings.maxBodyBytes,
    maxUploadBytes: settings.maxUploadBytes,
    logger,
    streaming: true,
  });
  const shedder = new Shedder({ ...DEFAULT_SHED_LIMITS, ...opts.limits });

  const demo = await services.keys.createFirstCompany('Demo company');
  if (demo) {
    const keyFile = join(opts.dataDir, 'admin-key');
    writeFileSync(keyFile, `${demo.api_key.key}\n`, { mode: 0o600 });
    chmodSync(keyFile, 0o600);
    print(`created the demo company ${demo.company.id}`);
    print(`its admin key (shown once, saved to ${keyFile}): ${demo.api_key.key}`);
  } else if (existsSync(join(opts.dataDir, 'admin-key'))) {
    print(`demo company admin key: see ${join(opts.dataDir, 'admin-key')}`);
  }

  // documents a crash left half-done are processed again
  await services.documents.recoverUnfinished();

  // audit retention: at start, then hourly
  await services.audit.prune();
  const pruner = setInterval(
    () => void services.audit.prune().catch((e) => logger.error('audit prune failed', { error: e })),
    3_600_000,
  );
  pruner.unref();
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    // the request's one id, as API Gateway gives each request its own: every response carries
    // it (API.md), and the app takes it from the proxy event
    const requestId = newId('request');
    res.setHeader('x-request-id', requestId);
    try {
      if (await serveDashboard(req, res)) return;
      const event = toProxyEvent(req, Buffer.alloc(0), true, requestId);
      // the body stays on the socket until the app has checked the key or upload token
      // a client that sent `Expect: 100-continue` hears `100 Continue` only then, never before its key holds
      const expectsContinue = /^100-continue$/i.test(req.headers.expect ?? '');
      let continued = false;
      event.readBody = (limit, upload, refuse) =>
        shedder.readBody(req, limit, upload, refuse ?? (() => tooLarge(upload, settings)), () => {
          if (expectsContinue) res.writeContinue();
          continued = true;
        });
      const context = {
        awsRequestId: requestId,
        getRemainingTimeInMillis: () => 30_000,
      } as unknown as LambdaContext;
      const result = await app(event, context as AppContext);
      // answered before the body was read (401, 404, 413, 429): the rest is read and thrown
      // away, within bounds, so the client reads this answer rather than a broken pipe; a client
      // still waiting for `100 Continue` sends no body, and the connection ends with the answer
      if (expectsContinue && !continued && !req.readableEnded) res.setHeader('connection', 'close');
      else shedder.discardRest(req);
      await send(res, result);
    } catch (e) {
      logger.error('request failed', { request_id: requestId, error: e });
      shedder.discardRest(req);
      if (!res.headersSent)
        await send(res, errorResult('internal', 500, 'something went wrong on our side', requestId));
    }
  };
  const server: Server = createServer({ connectionsCheckingInterval: shedder.limits.checkIntervalMs }, handle);
  // without this listener Node answers `100 Continue` itself, before anyone looked at the key
  server.on('checkContinue', handle);
  shedder.apply(server);
  await new Promise<void>((resolve) => server.listen(opts.port ?? 8787, opts.host ?? '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://${opts.host ?? '127.0.0.1'}:${port}`;

  const watcher =
    opts.dropIntervalSeconds === 0
      ? null
      : new DropFolderWatcher(
          join(opts.dataDir, 'drop'),
          services.documents,
          (opts.dropIntervalSeconds ?? 2) * 1000,
          logger,
        );
  watcher?.start();
  print(`listening on ${url}`);

  let closing: Promise<void> | null = null;
  return {
    url,
    port,
    services,
    home,
    /** what the server has read and shed so far */
    stats: () => ({ ...shedder.stats }),
    /** Stops taking requests, finishes running ingest jobs and closes the databases. */
    close(): Promise<void> {
      closing ??= (async () => {
        watcher?.stop();
        clearInterval(pruner);
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        await home.close();
      })();
      return closing;
    },
  };
}

export type RunningServer = Awaited<ReturnType<typeof startServer>>;
