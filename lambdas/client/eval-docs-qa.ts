/**
 * `oprag eval --dataset <docs-qa>`: the answer path over real product documentation, measured only
 * through the public HTTP API. Each customer of the set becomes its own project; every file is
 * ingested through the API with its title (the file name without its extension) and a url. Then:
 * - answered right: the answer is grounded, the question's expected regex matches the answer text,
 *   and one citation is the expected document;
 * - unanswerable refused: the customer's near-miss questions, the shared off-topic questions and
 *   the other customers' answerable questions, each of which a project should refuse;
 * - answer length (median, p90 of the grounded answers to answerable questions) and chat latency.
 * By default it runs on a throwaway local server; with `dataDir` the server's data is kept, and a
 * later run over the same folder reuses the projects already ingested there.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';
import { percentile } from '../core/ir-metrics';
import { ApiClient, expectStatus } from './api-client';
import { pool } from './bulk-ingest-files';
import { withThrowawayServer } from './throwaway-server';

export interface DocsQaOptions {
  /** the docs-qa folder: qa.json and corpus/<customer>/ */
  dataset: string;
  split: string;
  /** a deployment to measure instead of a throwaway local server (with `key`, a company admin key) */
  baseUrl?: string;
  key?: string;
  /** keep the throwaway server's data here, and reuse projects ingested by an earlier run */
  dataDir?: string;
  /** only these customers */
  customers?: string[];
  /** at most this many questions of each list (a smoke run) */
  limit?: number;
  /** ingest requests in flight */
  concurrency?: number;
  log?: (line: string) => void;
}

interface QaFile {
  customers: Record<string, { answerable: [string, string, string, string][]; near_miss: [string, string][] }>;
  off_topic: [string, string][];
}

export interface DocsQaMiss {
  customer: string;
  kind: 'answerable' | 'near_miss' | 'off_topic' | 'other_customer';
  question: string;
  expected?: string;
  answer: string;
  cited: string[];
  why: string;
}

export interface DocsQaReport {
  split: string;
  customers: Record<string, { answerable: number; right: number; unanswerable: number; refused: number }>;
  answerable: { questions: number; right: number; grounded: number; rate: number };
  unanswerable: {
    near_miss: { questions: number; refused: number };
    off_topic: { questions: number; refused: number };
    other_customer: { questions: number; refused: number };
    questions: number;
    refused: number;
    rate: number;
  };
  answer_chars: { p50: number; p90: number };
  chat_ms: { p50: number; p99: number; requests: number };
  misses: DocsQaMiss[];
}

const CONTENT_TYPES: Record<string, string> = {
  '.txt': 'text/plain',
  '.md': 'text/markdown',
  '.markdown': 'text/markdown',
  '.html': 'text/html',
  '.pdf': 'application/pdf',
  '.docx': 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  '.csv': 'text/csv',
  '.json': 'application/json',
};

/** True when the folder is a docs-qa set rather than a BEIR one. */
export function isDocsQa(dir: string): boolean {
  try {
    readFileSync(join(dir, 'qa.json'));
    return true;
  } catch {
    return false;
  }
}

export function titleOf(file: string): string {
  return file.slice(0, file.length - extname(file).length);
}

interface ChatBody {
  answer: string;
  grounded: boolean;
  citations: { index: number; title: string | null; document_id: string }[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ratio = (a: number, b: number) => (b === 0 ? 0 : Math.round((a / b) * 1000) / 1000);

/** The customer's project: reused when a ready one of the same name exists, else created and filled. */
async function projectFor(admin: ApiClient, dataset: string, customer: string, o: DocsQaOptions): Promise<string> {
  const name = `docs-qa ${customer}`;
  const listed = expectStatus(
    await admin.get<{ projects: { id: string; name: string }[] }>('/v1/projects?limit=100'),
    200,
    'list projects',
  );
  const existing = listed.projects.find((p) => p.name === name);
  if (existing) return existing.id;
  const created = expectStatus(
    await admin.post<{ project: { id: string } }>('/v1/projects', { name }),
    201,
    `create the ${customer} project`,
  );
  const id = created.project.id;
  expectStatus(
    await admin.request('PATCH', `/v1/projects/${id}`, { limits: { chat_per_minute: null, ingest_per_minute: null } }),
    200,
    'lift the per-minute limits',
  );
  const dir = join(dataset, 'corpus', customer);
  const files = readdirSync(dir).sort();
  o.log?.(`${customer}: ingesting ${files.length} files`);
  await pool(files, o.concurrency ?? 4, async (file) => {
    const res = await admin.post(`/v1/projects/${id}/documents`, {
      content_base64: readFileSync(join(dir, file)).toString('base64'),
      filename: file,
      content_type: CONTENT_TYPES[extname(file).toLowerCase()] ?? 'text/plain',
      title: titleOf(file),
      url: `/docs/${customer}/${encodeURIComponent(file)}`,
      external_id: file,
    });
    if (res.status !== 202 && res.status !== 201 && res.status !== 200)
      throw new Error(`ingest ${customer}/${file}: ${res.status} ${JSON.stringify(res.body)}`);
  });
  for (;;) {
    const pending = async (status: string) =>
      expectStatus(
        await admin.get<{ documents: unknown[] }>(`/v1/projects/${id}/documents?status=${status}&limit=1`),
        200,
        'list documents',
      ).documents.length;
    if ((await pending('queued')) + (await pending('processing')) === 0) break;
    await sleep(100);
  }
  const failed = expectStatus(
    await admin.get<{ documents: { title: string; error?: unknown }[] }>(
      `/v1/projects/${id}/documents?status=failed&limit=100`,
    ),
    200,
    'list failed documents',
  ).documents;
  if (failed.length > 0) o.log?.(`${customer}: ${failed.length} failed: ${failed.map((d) => d.title).join(', ')}`);
  return id;
}

async function evaluate(admin: ApiClient, o: DocsQaOptions): Promise<DocsQaReport> {
  const dataset = resolve(o.dataset);
  const qa = JSON.parse(readFileSync(join(dataset, 'qa.json'), 'utf8')) as QaFile;
  const names = Object.keys(qa.customers).filter((c) => !o.customers || o.customers.includes(c));
  const take = <T>(list: T[]) => list.slice(0, o.limit ?? Number.POSITIVE_INFINITY);
  const inSplit = <T extends string[]>(list: T[]) => take(list.filter((q) => q[q.length - 1] === o.split));
  const projects = new Map<string, string>();
  for (const c of names) projects.set(c, await projectFor(admin, dataset, c, o));

  const latencies: number[] = [];
  const chat = async (customer: string, question: string): Promise<ChatBody> => {
    const t = performance.now();
    const res = await admin.post<ChatBody>(`/v1/projects/${projects.get(customer)}/chat`, { question });
    latencies.push(performance.now() - t);
    return expectStatus(res, 200, 'chat');
  };
  const report: DocsQaReport = {
    split: o.split,
    customers: {},
    answerable: { questions: 0, right: 0, grounded: 0, rate: 0 },
    unanswerable: {
      near_miss: { questions: 0, refused: 0 },
      off_topic: { questions: 0, refused: 0 },
      other_customer: { questions: 0, refused: 0 },
      questions: 0,
      refused: 0,
      rate: 0,
    },
    answer_chars: { p50: 0, p90: 0 },
    chat_ms: { p50: 0, p99: 0, requests: 0 },
    misses: [],
  };
  const lengths: number[] = [];
  const cited = (b: ChatBody) => b.citations.map((c) => c.title ?? '');
  for (const c of names) {
    const per = { answerable: 0, right: 0, unanswerable: 0, refused: 0 };
    report.customers[c] = per;
    o.log?.(`${c}: asking`);
    for (const [question, regex, title] of inSplit(qa.customers[c].answerable)) {
      const body = await chat(c, question);
      per.answerable++;
      report.answerable.questions++;
      if (body.grounded) {
        report.answerable.grounded++;
        lengths.push(body.answer.length);
      }
      const matches = new RegExp(regex, 'i').test(body.answer);
      const citesIt = cited(body).includes(title);
      if (body.grounded && matches && citesIt) {
        per.right++;
        report.answerable.right++;
      } else {
        const why = !body.grounded
          ? 'refused'
          : !citesIt
            ? 'the expected document is not cited'
            : 'the expected fact is not in the answer';
        report.misses.push({
          customer: c,
          kind: 'answerable',
          question,
          expected: `${regex} in ${title}`,
          answer: body.answer,
          cited: cited(body),
          why,
        });
      }
    }
    const unanswerable: [DocsQaMiss['kind'], string][] = [
      ...inSplit(qa.customers[c].near_miss).map(([q]) => ['near_miss', q] as [DocsQaMiss['kind'], string]),
      ...inSplit(qa.off_topic).map(([q]) => ['off_topic', q] as [DocsQaMiss['kind'], string]),
      ...Object.keys(qa.customers)
        .filter((other) => other !== c)
        .flatMap((other) =>
          inSplit(qa.customers[other].answerable).map(([q]) => ['other_customer', q] as [DocsQaMiss['kind'], string]),
        ),
    ];
    for (const [kind, question] of unanswerable) {
      const body = await chat(c, question);
      per.unanswerable++;
      report.unanswerable[kind as 'near_miss'].questions++;
      report.unanswerable.questions++;
      if (!body.grounded) {
        per.refused++;
        report.unanswerable[kind as 'near_miss'].refused++;
        report.unanswerable.refused++;
      } else
        report.misses.push({ customer: c, kind, question, answer: body.answer, cited: cited(body), why: 'answered' });
    }
  }
  report.answerable.rate = ratio(report.answerable.right, report.answerable.questions);
  report.unanswerable.rate = ratio(report.unanswerable.refused, report.unanswerable.questions);
  report.answer_chars = { p50: Math.round(percentile(lengths, 50)), p90: Math.round(percentile(lengths, 90)) };
  report.chat_ms = {
    p50: Math.round(percentile(latencies, 50) * 10) / 10,
    p99: Math.round(percentile(latencies, 99) * 10) / 10,
    requests: latencies.length,
  };
  return report;
}

/** Runs the docs-qa evaluation: on a throwaway local server unless a base URL and key are given. */
export async function runDocsQaEval(o: DocsQaOptions): Promise<DocsQaReport> {
  if (o.baseUrl) {
    if (!o.key) throw new Error('--base-url needs --key (a company admin key)');
    return evaluate(new ApiClient(o.baseUrl, o.key), o);
  }
  return withThrowawayServer((admin) => evaluate(admin, o), { dataDir: o.dataDir, prefix: 'oprag-docs-qa-' });
}

const pct = (n: number) => n.toFixed(2);

export function formatDocsQaReport(r: DocsQaReport, misses = true): string {
  const u = r.unanswerable;
  const lines = [
    `docs-qa ${r.split}: answered right ${pct(r.answerable.rate)} (${r.answerable.right}/${r.answerable.questions}, ${r.answerable.grounded} grounded) · unanswerable refused ${pct(u.rate)} (${u.refused}/${u.questions}: near-miss ${u.near_miss.refused}/${u.near_miss.questions}, off-topic ${u.off_topic.refused}/${u.off_topic.questions}, other customers' ${u.other_customer.refused}/${u.other_customer.questions}) · answer chars p50 ${r.answer_chars.p50}, p90 ${r.answer_chars.p90} · chat p50 ${r.chat_ms.p50} ms, p99 ${r.chat_ms.p99} ms`,
    ...Object.entries(r.customers).map(
      ([c, s]) => `  ${c.padEnd(8)} right ${s.right}/${s.answerable}, refused ${s.refused}/${s.unanswerable}`,
    ),
  ];
  if (misses)
    for (const m of r.misses) {
      lines.push(`- [${m.customer} ${m.kind}] ${m.question}`);
      if (m.expected) lines.push(`    expected /${m.expected}`);
      lines.push(`    ${m.why}: ${m.answer.replace(/\s+/g, ' ').slice(0, 400)} ⟨${m.cited.join(', ')}⟩`);
    }
  return lines.join('\n');
}
