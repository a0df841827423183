import { lineLogger } from '../../lambdas/adapters/local/line-logger';
import { startTestServer, type TestServer } from '../helpers/server';

interface LogLine {
  level: string;
  message: string;
  request_id?: string;
  [field: string]: unknown;
}

describe('one request id per request, over HTTP', () => {
  let t: TestServer;
  let p: { id: string; key: string };
  const lines: string[] = [];
  const logged = () => lines.map((l) => JSON.parse(l) as LogLine);

  beforeAll(async () => {
    t = await startTestServer({
      settings: { maxBodyBytes: 1024 },
      logger: lineLogger({ level: 'info', write: (line) => lines.push(line) }),
    });
    p = await t.project();
    const doc = await t.client(p.key).post('/v1/documents?wait=true', {
      text: 'The loading dock opens at six in the morning.',
    });
    expect(doc.status).toBe(201);
  });
  afterAll(() => t.close());

  const post = (path: string, body: string) =>
    fetch(`${t.url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${p.key}`, 'content-type': 'application/json' },
      body,
    });

  async function auditEvent(requestId: string) {
    const res = await t.admin.get<{ events: { action: string; outcome: string; request_id: string }[] }>(
      `/v1/projects/${p.id}/audit?limit=100`,
    );
    return res.body.events.filter((e) => e.request_id === requestId);
  }

  const requestLines = (requestId: string) =>
    logged().filter((l) => l.message === 'request' && l.request_id === requestId);

  it("carries a chat's id in its header, its answer, its audit event and its log line", async () => {
    const res = await post('/v1/chat', JSON.stringify({ question: 'When does the loading dock open?' }));
    const answer = (await res.json()) as { grounded: boolean; request_id: string };
    const id = res.headers.get('x-request-id');

    expect(res.status).toBe(200);
    expect(answer.grounded).toBe(true);
    expect(id).toMatch(/^req_[0-9a-z]{26}$/);
    expect(answer.request_id).toBe(id);
    expect(await auditEvent(id as string)).toEqual([expect.objectContaining({ action: 'chat', outcome: 'success' })]);
    expect(requestLines(id as string)).toEqual([
      expect.objectContaining({ level: 'info', method: 'POST', route: '/v1/projects/:project_id/chat', status: 200 }),
    ]);
  });

  it("carries an error's id in its header, its error body, its audit event and its log line", async () => {
    const res = await post('/v1/chat', '{"question": ');
    const body = (await res.json()) as { error: { type: string; request_id: string } };
    const id = res.headers.get('x-request-id') as string;

    expect(body.error.type).toBe('invalid_request');
    expect(body.error.request_id).toBe(id);
    expect(await auditEvent(id)).toEqual([expect.objectContaining({ action: 'chat', outcome: 'failed' })]);
    expect(requestLines(id)).toEqual([
      expect.objectContaining({ status: 400, route: '/v1/projects/:project_id/chat' }),
    ]);
  });

  it('gives a body refused before the app the same one id in its header, error body and log line', async () => {
    const res = await post('/v1/chat', JSON.stringify({ question: 'x'.repeat(400 * 1024) }));
    const body = (await res.json()) as { error: { type: string; request_id: string } };
    const id = res.headers.get('x-request-id') as string;

    expect(res.status).toBe(413);
    expect(body.error.request_id).toBe(id);
    expect(requestLines(id)).toEqual([expect.objectContaining({ status: 413 })]);
  });

  it('gives every request its own id, and logs no path (upload paths hold a token)', async () => {
    const ids = logged()
      .filter((l) => l.message === 'request')
      .map((l) => l.request_id);

    expect(ids.length).toBeGreaterThanOrEqual(5);
    expect(new Set(ids).size).toBe(ids.length);
    for (const line of logged()) expect(line).not.toHaveProperty('path');
  });
});
