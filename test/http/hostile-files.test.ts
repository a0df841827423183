import type { ApiClient } from '../../lambdas/client/api-client';
import { DEFAULT_READ_LIMITS } from '../../lambdas/core/read-limits';
import {
  DOCX_TYPE,
  deepHtml,
  highRatioDocx,
  manyLines,
  manyPagesPdf,
  manyRowsCsv,
  nestedDocx,
  pdfStreamBomb,
  underCountedDocx,
} from '../fixtures/hostile';
import { startTestServer, type TestServer } from '../helpers/server';

const MB = 2 ** 20;

/**
 * Small limits, so that every hostile file passes one of them quickly; a generous deadline and
 * heap, so that nothing here depends on the machine's speed (the pool's own test drives those).
 */
const LIMITS = {
  ...DEFAULT_READ_LIMITS,
  maxChars: 2_000_000,
  maxChunks: 300,
  maxInflatedBytes: 2 * MB,
  maxZipEntries: 200,
  maxPdfStreamBytes: 2 * MB,
  maxPdfPages: 20,
};

type Doc = { id: string; status: string; error?: string | null };
type Failure = { error: { type: string; message: string }; document: Doc };

const b64 = (b: Buffer) => b.toString('base64');

/** Each file, how it is sent and the reason its document must fail with. */
const HOSTILE: { name: string; body: () => Record<string, unknown>; reason: RegExp }[] = [
  {
    name: 'a DOCX whose end record under-counts its entries',
    body: () => ({ content_base64: b64(underCountedDocx(1000)), filename: 'undercount.docx', content_type: DOCX_TYPE }),
    reason: /holds more than 200 files inside its ZIP container/,
  },
  {
    name: 'a DOCX that expands a thousand to one',
    body: () => ({ content_base64: b64(highRatioDocx(8 * MB, true)), filename: 'ratio.docx', content_type: DOCX_TYPE }),
    reason: /expands to 8 MB when unzipped \(at most 2 MB is read\); it may be a zip bomb/,
  },
  {
    name: 'a DOCX whose directory understates what it expands to',
    body: () => ({ content_base64: b64(highRatioDocx(8 * MB, false)), filename: 'liar.docx', content_type: DOCX_TYPE }),
    reason: /expands to more than its directory declares or more than 2 MB/,
  },
  {
    name: 'a DOCX with an archive nested inside and parts that only add up',
    body: () => ({ content_base64: b64(nestedDocx(3 * MB)), filename: 'nested.docx', content_type: DOCX_TYPE }),
    reason: /expands to 3 MB when unzipped .* zip bomb/,
  },
  {
    name: 'a PDF whose content stream inflates to 8 MB',
    body: () => ({ content_base64: b64(pdfStreamBomb(8 * MB)), filename: 'bomb.pdf', content_type: 'application/pdf' }),
    reason: /compressed streams expand to more than 2 MB; it may be a decompression bomb/,
  },
  {
    name: 'a PDF with more pages than are read',
    body: () => ({ content_base64: b64(manyPagesPdf(50)), filename: 'pages.pdf', content_type: 'application/pdf' }),
    reason: /has 50 pages; at most 20 are read/,
  },
  {
    name: 'a 100,000-line text file that yields too many chunks',
    body: () => ({ text: manyLines(100_000, 6), filename: 'lines.txt' }),
    reason: /yields more than 300 chunks/,
  },
  {
    name: 'a 100,000-line text file with too much text',
    body: () => ({ text: manyLines(100_000, 24), filename: 'long.txt' }),
    reason: /longer than 2,000,000 characters/,
  },
  {
    name: 'a 100,000-row CSV',
    body: () => ({ text: manyRowsCsv(100_000), filename: 'rows.csv', content_type: 'text/csv' }),
    reason: /longer than 2,000,000 characters/,
  },
  {
    name: 'HTML nested 100,000 elements deep',
    body: () => ({ text: deepHtml(100_000), filename: 'deep.html', content_type: 'text/html' }),
    reason: /nests elements more than 512 deep/,
  },
];

describe('hostile files', () => {
  let t: TestServer;
  let hostile: { id: string; client: ApiClient };
  let neighbour: { id: string; client: ApiClient };

  beforeAll(async () => {
    t = await startTestServer({ settings: { readLimits: LIMITS, readWorkers: 1 } });
    hostile = await t.project('hostile');
    neighbour = await t.project('neighbour');
    const res = await neighbour.client.post('/v1/documents?wait=true', {
      text: '# Refunds\n\nRefunds are accepted within 30 days of purchase.',
      content_type: 'text/markdown',
    });
    expect(res.status).toBe(201);
  });
  afterAll(async () => t?.close());

  it.each(HOSTILE)('$name: the document fails with its reason', async ({ body, reason }) => {
    const res = await hostile.client.post<Failure>('/v1/documents?wait=true', body());
    expect(res.status).toBe(422);
    expect(res.body.error.type).toBe('unprocessable');
    expect(res.body.error.message).toMatch(reason);
    expect(res.body.document.status).toBe('failed');
    const id = res.body.document.id;
    const stored = await hostile.client.get<{ document: Doc }>(`/v1/documents/${id}`);
    expect(stored.body.document.status).toBe('failed');
    expect(stored.body.document.error).toMatch(reason);
  });

  it('the other tenant is answered while the whole set is being read, and nothing of it is lost', async () => {
    let settled = 0;
    const all = HOSTILE.map((h) =>
      hostile.client.post<Failure>('/v1/documents?wait=true', h.body()).then((r) => {
        settled++;
        return r;
      }),
    );
    const answers: number[] = [];
    const settledAtAnswer: number[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await neighbour.client.post<{ answer: string; citations: unknown[] }>('/v1/chat', {
        question: 'How many days do I have to ask for a refund?',
      });
      answers.push(res.status);
      settledAtAnswer.push(settled);
      expect(res.body.answer).toMatch(/30 days/);
      expect(res.body.citations.length).toBeGreaterThan(0);
    }
    const results = await Promise.all(all);
    expect(answers).toEqual([200, 200, 200, 200, 200]);
    // the first answers came back before the hostile set was through: served beside it, not after
    expect(settledAtAnswer[0]).toBeLessThan(HOSTILE.length);
    results.forEach((r, i) => {
      expect(r.status).toBe(422);
      expect(r.body.error.message).toMatch(HOSTILE[i].reason);
    });
    // the other tenant's document is still there, ready, and the hostile project holds no chunk
    const docs = await neighbour.client.get<{ documents: Doc[] }>('/v1/documents');
    expect(docs.body.documents.map((d) => d.status)).toEqual(['ready']);
    const leaked = await hostile.client.post<{ results: unknown[] }>('/v1/retrieve', { query: 'ratio bomb line deep' });
    expect(leaked.status).toBe(200);
    expect(leaked.body.results).toEqual([]);
  });

  it("a key of the hostile project cannot read the neighbour's documents", async () => {
    const res = await hostile.client.get(`/v1/projects/${neighbour.id}/documents`);
    expect(res.status).toBe(404);
  });
});
