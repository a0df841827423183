import type * as wire from '../../lambdas/http/wire';
import { startTestServer, type TestServer } from '../helpers/server';

/** A type's fields: `true` where every answer has it, `false` where it may be left out. */
type Fields<T> = { [K in keyof Required<T>]: boolean };

function expectFields<T>(value: unknown, fields: Fields<T>) {
  const keys = Object.keys(value as object);
  for (const key of keys) expect({ key, declared: key in fields }).toEqual({ key, declared: true });
  for (const [key, always] of Object.entries(fields)) if (always) expect(keys).toContain(key);
}

const KEY: Fields<wire.ApiKey> = {
  id: true,
  name: true,
  prefix: true,
  scopes: true,
  role: false,
  environment: true,
  created_at: true,
  last_used_at: true,
  expires_at: true,
  revoked_at: true,
};
const PROJECT: Fields<wire.Project> = {
  id: true,
  name: true,
  external_ref: true,
  environment: true,
  created_at: true,
  updated_at: true,
  limits: true,
  webhook_url: true,
  stats: false,
};
const DOCUMENT: Fields<wire.DocumentView> = {
  id: true,
  title: true,
  url: true,
  filename: true,
  content_type: true,
  external_id: true,
  tags: true,
  metadata: true,
  status: true,
  error: false,
  chunks: true,
  bytes: true,
  content_hash: true,
  created_at: true,
  updated_at: true,
};
const CHAT: Fields<wire.ChatAnswer> = {
  answer: true,
  grounded: true,
  citations: true,
  refusal: true,
  source_label: true,
  request_id: true,
  latency_ms: true,
};
const CITATION: Fields<wire.Citation> = {
  index: true,
  document_id: true,
  chunk_id: true,
  title: true,
  url: true,
  snippet: true,
  score: true,
  page: true,
  section: true,
};
const GOLDEN: Fields<wire.GoldenQuestion> = {
  id: true,
  question: true,
  expected_answer: true,
  expected_document_ids: true,
  must_refuse: true,
  approved: true,
  created_at: true,
  updated_at: true,
};
const AUDIT: Fields<wire.AuditEvent> = {
  at: true,
  actor: true,
  action: true,
  resource: true,
  outcome: true,
  request_id: true,
  detail: false,
};

/** The wire types (lambdas/http/wire.ts) on real answers; test/unit/wire-shapes.ts holds them to the use cases' types. */
describe('the wire types, on real answers', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(() => t.close());

  it('match what the API answers, field for field', async () => {
    const p = await t.project();
    const client = t.client(p.key);
    const keys = await t.admin.get<{ keys: wire.ApiKey[] }>('/v1/company/keys');
    const project = await t.admin.get<{ project: wire.Project }>(`/v1/projects/${p.id}`);
    const doc = await client.post<{ document: wire.DocumentView }>('/v1/documents?wait=true', {
      text: 'The loading dock opens at six in the morning.',
    });
    const chat = await client.post<wire.ChatAnswer>('/v1/chat', { question: 'When does the loading dock open?' });
    const batch = await client.post<wire.DocumentBatchAccepted>('/v1/documents/batch', {
      documents: [{ text: 'The canteen closes at three.' }, { text: '' }],
    });
    const golden = await t.admin.post<{ golden_question: wire.GoldenQuestion }>(
      `/v1/projects/${p.id}/golden-questions`,
      { question: 'When does the loading dock open?' },
    );
    const audit = await t.admin.get<wire.AuditPage>(`/v1/projects/${p.id}/audit`);

    expectFields(keys.body.keys[0], KEY);
    expect(keys.body.keys[0].role).toBe('admin');
    expectFields(project.body.project, PROJECT);
    expect(project.body.project.stats).toBeDefined();
    expectFields(doc.body.document, DOCUMENT);
    const [accepted, refused] = batch.body.documents;
    expectFields(accepted, { document: true, unchanged: false });
    if ('document' in accepted) expectFields(accepted.document, DOCUMENT);
    expectFields(refused, { error: true });
    if ('error' in refused) expectFields(refused.error, { type: true, message: true });
    expectFields(chat.body, CHAT);
    expect(chat.body.citations.length).toBeGreaterThan(0);
    for (const c of chat.body.citations) expectFields(c, CITATION);
    expectFields(golden.body.golden_question, GOLDEN);
    expect(audit.body.events.length).toBeGreaterThan(0);
    for (const e of audit.body.events) expectFields(e, AUDIT);
  });
});
