/**
 * The HTTP side of the chat load run (load-chat.ts): a client of the server with one key (every
 * request bounded by a timeout), and what the run asks of it as admin — projects created with
 * their per-minute limits lifted, documents listed by status, a wait until none is queued or
 * processing.
 */

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class Api {
  constructor(
    readonly baseUrl: string,
    readonly key: string,
    /** each request's timeout */
    readonly timeoutSeconds: number,
  ) {}

  async call<T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
    const res = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${this.key}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(this.timeoutSeconds * 1000),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // keep the text
    }
    return { status: res.status, body: parsed as T };
  }

  async expect<T>(status: number, method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.call<T>(method, path, body);
    if (res.status !== status) {
      throw new Error(`${method} ${path}: expected ${status}, got ${res.status}: ${JSON.stringify(res.body)}`);
    }
    return res.body;
  }
}

export type Limits = Record<string, number | null>;
export type Project = { id: string; limits: Limits; stats?: { documents: number; chunks: number; bytes: number } };

export async function createProject(admin: Api, name: string) {
  const created = await admin.expect<{ project: Project; api_key: { key: string } }>(201, 'POST', '/v1/projects', {
    name,
  });
  return { id: created.project.id, key: created.api_key.key, limits: created.project.limits };
}

/** Lifts per-minute limits a project was created with, so the run measures throughput, not the limiter. */
export async function liftRateLimits(admin: Api, project: { id: string; limits: Limits }): Promise<string | null> {
  const set = Object.entries(project.limits).filter(([k, v]) => k.endsWith('_per_minute') && v !== null);
  if (set.length === 0) return null;
  const patched = await admin.expect<{ project: Project }>(200, 'PATCH', `/v1/projects/${project.id}`, {
    limits: { chat_per_minute: null, ingest_per_minute: null },
  });
  if (patched.project.limits.chat_per_minute !== null || patched.project.limits.ingest_per_minute !== null) {
    throw new Error(`could not lift the limits of ${project.id}: ${JSON.stringify(patched.project.limits)}`);
  }
  return set.map(([k, v]) => `${k}=${v}`).join(', ');
}

/** A project's documents with a status, by paging through the list (up to `atMost`). */
export async function listByStatus(admin: Api, projectId: string, status: string, atMost = Number.POSITIVE_INFINITY) {
  const docs: { id: string; updated_at: string }[] = [];
  let cursor: string | null = null;
  do {
    const q: string = `?status=${status}&limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const page = await admin.expect<{ documents: { id: string; updated_at: string }[]; next_cursor: string | null }>(
      200,
      'GET',
      `/v1/projects/${projectId}/documents${q}`,
    );
    docs.push(...page.documents);
    cursor = page.next_cursor;
  } while (cursor && docs.length < atMost);
  return docs;
}

/** Waits until none of the project's documents is queued or processing; false on timeout. */
export async function waitUntilSettled(admin: Api, projectId: string, timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const queued = await listByStatus(admin, projectId, 'queued', 1);
    const processing = await listByStatus(admin, projectId, 'processing', 1);
    if (queued.length + processing.length === 0) return true;
    await sleep(500);
  }
  return false;
}
