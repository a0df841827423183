import { startTestServer, type TestServer } from '../helpers/server';

/**
 * Re-ingesting a document under the same external_id swaps its chunks atomically: a retrieval
 * running at any moment sees the old version's chunks or the new one's — never a mix, never none.
 */

interface Result {
  chunk_id: string;
  document_id: string;
  text: string;
}

const ROUNDS = 30;
const IN_FLIGHT = 8;
const VERSION_WORD = /\b(alphaversion|v\d+word)\b/g;

/** version 0 is `alphaversion`, version n is `v<n>word` */
const versionWord = (v: number) => (v === 0 ? 'alphaversion' : `v${v}word`);
const versionOf = (word: string) => (word === 'alphaversion' ? 0 : Number(word.slice(1, -4)));

/** Several paragraphs, each naming the version, long enough together to make several chunks. */
function guideText(v: number): string {
  const word = versionWord(v);
  const paragraphs = Array.from(
    { length: 14 },
    (_, i) =>
      `Section ${i + 1} of the handbook, edition ${word}. The ${word} handbook explains how the warehouse ` +
      `receives pallets, how inbound crates are counted and how the night shift records damaged goods. ` +
      `Every instruction in this part applies to the ${word} edition only; staff should check the edition ` +
      `stamp on the cover before following the steps for bay ${i + 1}, crane ${i + 2} and dock ${i + 3}.`,
  );
  return `# Warehouse handbook\n\n${paragraphs.join('\n\n')}`;
}

describe('re-ingesting a document while it is being queried', () => {
  let t: TestServer;

  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('every retrieval sees exactly one version of its chunks, and the document keeps its id', async () => {
    const p = await t.project('atomic swaps');
    const patched = await t.admin.request('PATCH', `/v1/projects/${p.id}`, {
      limits: { chat_per_minute: null, ingest_per_minute: null, max_documents: null, max_bytes: null },
    });
    expect(patched.status).toBe(200);

    const post = (v: number) =>
      p.client.post<{ document: { id: string; status: string; chunks: number } }>('/v1/documents?wait=true', {
        title: 'Warehouse handbook',
        external_id: 'guide',
        content_type: 'text/markdown',
        text: guideText(v),
      });
    const first = await post(0);
    expect(first.status).toBe(201);
    const docId = first.body.document.id;
    expect(first.body.document.chunks).toBeGreaterThanOrEqual(3);

    /** the newest version whose ingest has answered: no retrieval started later may see an older one */
    let committed = 0;
    let done = false;
    let queries = 0;
    const problems: string[] = [];
    const seen = new Set<number>();

    const querier = async () => {
      try {
        await queryLoop();
      } catch (e) {
        problems.push(`retrieve threw: ${e}`);
        done = true; // stop the rounds too: the failure is reported below
      }
    };
    const queryLoop = async () => {
      while (!done) {
        const floor = committed;
        const res = await p.client.post<{ results: Result[] }>('/v1/retrieve', {
          query: 'handbook warehouse edition',
          top_k: 50,
        });
        queries++;
        if (res.status !== 200) {
          problems.push(`retrieve answered ${res.status}: ${JSON.stringify(res.body)}`);
          continue;
        }
        const results = res.body.results;
        if (results.length === 0) problems.push(`no results (after version ${floor} was ready)`);
        const versions = new Set<number>();
        for (const r of results) {
          if (r.document_id !== docId) problems.push(`a result from document ${r.document_id}, not ${docId}`);
          const words = r.text.match(VERSION_WORD) ?? [];
          if (words.length === 0) problems.push(`chunk ${r.chunk_id} names no version`);
          for (const w of words) versions.add(versionOf(w));
        }
        if (versions.size > 1) problems.push(`one retrieval mixed versions ${[...versions].sort().join(', ')}`);
        for (const v of versions) {
          seen.add(v);
          if (v < floor) problems.push(`version ${v} seen after version ${floor} was ready`);
        }
      }
    };

    const queriers = Array.from({ length: IN_FLIGHT }, querier);
    try {
      for (let v = 1; v <= ROUNDS && !done; v++) {
        const atStart = queries;
        const res = await post(v);
        expect(res.status).toBe(201);
        expect(res.body.document.id).toBe(docId);
        expect(res.body.document.status).toBe('ready');
        committed = v;
        // let a few retrievals run against every version before replacing it
        while (!done && queries < atStart + IN_FLIGHT) await new Promise((r) => setTimeout(r, 2));
      }
    } finally {
      done = true;
      await Promise.all(queriers);
    }

    expect(problems.slice(0, 10)).toEqual([]);
    expect(seen.has(ROUNDS)).toBe(true);
    const listed = await p.client.get<{ documents: { id: string; external_id: string }[] }>('/v1/documents');
    expect(listed.body.documents.map((d) => [d.id, d.external_id])).toEqual([[docId, 'guide']]);
    console.log(`re-ingest: ${ROUNDS} rounds, ${queries} retrievals, ${seen.size} versions seen`);
  }, 60_000);
});
