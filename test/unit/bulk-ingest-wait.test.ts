import type { IngestFile } from '../../lambdas/client/bulk-ingest-files';
import type { Api, Doc } from '../../lambdas/client/bulk-ingest-http';
import type { Counts } from '../../lambdas/client/bulk-ingest-progress';
import { type Timer, waitUntilSettled } from '../../lambdas/client/bulk-ingest-wait';

/**
 * `oprag ingest`'s wait after sending, against a project whose documents settle at set instants
 * of a test's clock: the API as the client sees it (its `Api` function), every request recorded.
 */
function project(settleAt: Record<string, { at: number; status: 'ready' | 'failed' }>) {
  let t = 0;
  const requests: { at: number; url: string; busy: boolean }[] = [];
  const status = (id: string): Doc['status'] => {
    const s = settleAt[id];
    if (t >= s.at) return s.status;
    return t >= s.at / 2 ? 'processing' : 'queued';
  };
  const doc = (id: string) =>
    ({ id, status: status(id), error: status(id) === 'failed' ? 'unreadable' : null }) as unknown as Doc;
  const busy = () => Object.keys(settleAt).some((id) => t < settleAt[id].at);
  const call = (async (method: string, url: string) => {
    requests.push({ at: t, url, busy: busy() });
    const u = new URL(url, 'http://oprag.test');
    const one = /\/documents\/([^/]+)$/.exec(u.pathname);
    if (method === 'GET' && one) return { status: 200, body: { document: doc(one[1]) } };
    const wanted = u.searchParams.get('status');
    const limit = Number(u.searchParams.get('limit'));
    const docs = Object.keys(settleAt)
      .map(doc)
      .filter((d) => !wanted || d.status === wanted);
    return { status: 200, body: { documents: docs.slice(0, limit), next_cursor: null } };
  }) as unknown as Api;
  const timer: Timer = {
    now: () => t,
    sleep: async (ms: number) => {
      t += ms;
    },
  };
  return { call, timer, requests, now: () => t };
}

function waiting(ids: string[], call: Api) {
  const counts: Counts = { sent: ids.length, unchanged: 0, ready: 0, failed: 0 };
  const failures: string[] = [];
  const files = new Map<string, IngestFile>(ids.map((id) => [id, { path: `${id}.md`, externalId: `${id}.md` }]));
  const w = {
    call,
    base: '/v1/projects/prj_wait',
    project: 'prj_wait',
    concurrency: 4,
    progress: { start() {}, update() {}, failure() {}, stop() {} },
    counts,
    waiting: files,
    track: (f: IngestFile, d: Doc) => {
      if (d.status === 'ready') counts.ready++;
      else if (d.status === 'failed') w.fail(f, d.error ?? 'failed');
      else files.set(d.id, f);
    },
    fail: (f: IngestFile, reason: string) => {
      counts.failed++;
      failures.push(`${f.path}: ${reason}`);
    },
  };
  return { w, counts, failures };
}

const fullRound = (url: string) => url.includes('limit=200') && url.includes('status=queued');

describe("oprag ingest's wait until its documents settle", () => {
  it('asks only whether anything is left while the documents are processed, then settles each once', async () => {
    const p = project({
      a: { at: 300, status: 'ready' },
      b: { at: 500, status: 'ready' },
      c: { at: 600, status: 'failed' },
    });
    const { w, counts, failures } = waiting(['a', 'b', 'c'], p.call);
    await waitUntilSettled(w, { timeoutS: 60, projectDocuments: 3, timer: p.timer });
    expect(counts).toMatchObject({ ready: 2, failed: 1 });
    expect(failures).toEqual(['c.md: unreadable']);
    expect(w.waiting.size).toBe(0);
    // no page of 200 while anything was still queued or processing: one-document pages only
    expect(p.requests.filter((r) => r.busy && r.url.includes('limit=200'))).toEqual([]);
    expect(p.requests.filter((r) => r.busy).every((r) => r.url.includes('limit=1&'))).toBe(true);
    expect(p.requests.filter((r) => fullRound(r.url))).toHaveLength(1);
    // the wait ends within a quarter of a second of the last document settling
    expect(p.now()).toBeGreaterThanOrEqual(600);
    expect(p.now()).toBeLessThanOrEqual(600 + 250);
  });

  it('lists what is left once a second while processing goes on, for the progress', async () => {
    const p = project({ a: { at: 400, status: 'ready' }, b: { at: 2_500, status: 'ready' } });
    const { w, counts } = waiting(['a', 'b'], p.call);
    await waitUntilSettled(w, { timeoutS: 60, projectDocuments: 2, timer: p.timer });
    expect(counts).toMatchObject({ ready: 2, failed: 0 });
    const rounds = p.requests.filter((r) => fullRound(r.url));
    expect(rounds.filter((r) => r.busy).map((r) => Math.floor(r.at / 1000))).toEqual([1, 2]);
    expect(rounds.filter((r) => !r.busy)).toHaveLength(1);
    expect(p.now()).toBeLessThanOrEqual(2_500 + 250);
  });

  it('fails what is still unsettled at the timeout', async () => {
    const p = project({ a: { at: 100, status: 'ready' }, b: { at: 120_000, status: 'ready' } });
    const { w, counts, failures } = waiting(['a', 'b'], p.call);
    await waitUntilSettled(w, { timeoutS: 3, projectDocuments: 2, timer: p.timer });
    expect(counts).toMatchObject({ ready: 1, failed: 1 });
    expect(failures).toEqual(['b.md: not ready after the 3 s timeout']);
    expect(p.now()).toBeLessThanOrEqual(3_000);
  });
});
