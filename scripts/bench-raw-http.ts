/**
 * The leanest client the ingest benchmark has (`--client raw`): HTTP/1.1 written straight onto
 * kept-alive TCP connections, one request in flight on each, the answer read from its status line,
 * `content-length` (or chunked encoding) and `retry-after`. No agent, no parser objects, no
 * header objects: a remote client's cost is not the server's, and this one shares its cores.
 * Plain `http:` only; a benchmark tool, not a general client.
 */
import { connect, type Socket } from 'node:net';

export interface RawAnswer {
  status: number;
  retryAfter: string | undefined;
  text: string;
}

type Waiter = { resolve: (a: RawAnswer) => void; reject: (e: Error) => void };

const HEAD_END = Buffer.from('\r\n\r\n');

/** What a complete answer at the start of `buf` is, and where it ends; null while more is to come. */
export function parseAnswer(buf: Buffer): { answer: RawAnswer; end: number } | null {
  const headEnd = buf.indexOf(HEAD_END);
  if (headEnd < 0) return null;
  const head = buf.toString('latin1', 0, headEnd);
  const lines = head.split('\r\n');
  const status = Number(lines[0].split(' ')[1]);
  let length = -1;
  let chunked = false;
  let retryAfter: string | undefined;
  for (let i = 1; i < lines.length; i++) {
    const colon = lines[i].indexOf(':');
    const name = lines[i].slice(0, colon).trim().toLowerCase();
    const value = lines[i].slice(colon + 1).trim();
    if (name === 'content-length') length = Number(value);
    else if (name === 'transfer-encoding') chunked = value.toLowerCase().includes('chunked');
    else if (name === 'retry-after') retryAfter = value;
  }
  const bodyStart = headEnd + 4;
  if (!chunked) {
    const size = Math.max(0, length);
    if (buf.length < bodyStart + size) return null;
    return {
      answer: { status, retryAfter, text: buf.toString('utf8', bodyStart, bodyStart + size) },
      end: bodyStart + size,
    };
  }
  const parts: Buffer[] = [];
  for (let at = bodyStart; ; ) {
    const lineEnd = buf.indexOf('\r\n', at);
    if (lineEnd < 0) return null;
    const size = Number.parseInt(buf.toString('latin1', at, lineEnd), 16);
    const dataEnd = lineEnd + 2 + size;
    if (buf.length < dataEnd + 2) return null;
    if (size === 0) {
      return { answer: { status, retryAfter, text: Buffer.concat(parts).toString('utf8') }, end: dataEnd + 2 };
    }
    parts.push(buf.subarray(lineEnd + 2, dataEnd));
    at = dataEnd + 2;
  }
}

/** One kept-alive connection: requests are written one at a time, each answered in order. */
class Connection {
  private buf: Buffer = Buffer.alloc(0);
  private waiter: Waiter | null = null;
  readonly socket: Socket;

  constructor(host: string, port: number) {
    this.socket = connect({ host, port, noDelay: true });
    this.socket.on('data', (d: Buffer) => this.read(d));
    this.socket.on('error', (e) => this.fail(e));
    this.socket.on('close', () => this.fail(new Error('the server closed the connection')));
  }

  send(request: Buffer): Promise<RawAnswer> {
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
      this.socket.write(request);
    });
  }

  get closed() {
    return this.socket.destroyed;
  }

  private read(d: Buffer) {
    this.buf = this.buf.length === 0 ? d : Buffer.concat([this.buf, d]);
    const parsed = parseAnswer(this.buf);
    if (!parsed) return;
    this.buf = this.buf.subarray(parsed.end);
    const w = this.waiter;
    this.waiter = null;
    w?.resolve(parsed.answer);
  }

  private fail(e: Error) {
    const w = this.waiter;
    this.waiter = null;
    w?.reject(e);
  }
}

/** Up to `concurrency` connections to the server at `origin` (`http://host:port`), reused. */
export function rawRequester(origin: string, concurrency: number) {
  const { hostname, port } = new URL(origin);
  const idle: Connection[] = [];
  const all = new Set<Connection>();
  const queued: (() => void)[] = [];

  async function connection(): Promise<Connection> {
    for (;;) {
      const c = idle.pop();
      if (c && !c.closed) return c;
      if (c) all.delete(c);
      else if (all.size < concurrency) {
        const made = new Connection(hostname, Number(port));
        all.add(made);
        return made;
      } else await new Promise<void>((r) => queued.push(r));
    }
  }

  async function send(method: string, path: string, headers: Record<string, string>, body?: string) {
    const payload = body === undefined ? undefined : Buffer.from(body, 'utf8');
    let head = `${method} ${path} HTTP/1.1\r\nhost: ${hostname}:${port}\r\n`;
    for (const [k, v] of Object.entries(headers)) head += `${k}: ${v}\r\n`;
    head += `content-length: ${payload?.length ?? 0}\r\n\r\n`;
    const request = payload ? Buffer.concat([Buffer.from(head, 'latin1'), payload]) : Buffer.from(head, 'latin1');
    const c = await connection();
    try {
      return await c.send(request);
    } finally {
      idle.push(c);
      queued.shift()?.();
    }
  }

  const close = () => {
    for (const c of all) c.socket.destroy();
    all.clear();
  };
  return { send, close };
}
