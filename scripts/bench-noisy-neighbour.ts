/**
 * One tenant ingests a set of hostile files while another tenant chats: the quiet tenant's chat
 * latency (p50, p99) alone and during the hostile ingest, and the server process's resident
 * memory (peak and samples). The files are those of the hostile-files tests at the sizes seen in
 * the field (a 60 MB-inflated DOCX, a PDF with a 19 MB content stream, an under-counted ZIP, 100,000-line
 * files...), read under the default limits of a real `oprag serve` child process.
 *
 *   npx tsx scripts/bench-noisy-neighbour.ts [--quiet-chats 300] [--rounds 1]
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { availableParallelism, cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
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
} from '../test/fixtures/hostile';
import { spawnServer } from '../test/helpers/cli';
import { option } from './args';

const MB = 2 ** 20;
const arg = (name: string, fallback: number) => Number(option(name, String(fallback)));

/** The hostile set: what each file is and its request body. */
function hostileSet(): { name: string; body: Record<string, unknown> }[] {
  const b64 = (b: Buffer) => b.toString('base64');
  return [
    {
      name: 'under-counted DOCX (3,000 hidden entries)',
      body: { content_base64: b64(underCountedDocx(3000)), filename: 'u.docx', content_type: DOCX_TYPE },
    },
    {
      name: 'DOCX inflating to 60 MB',
      body: { content_base64: b64(highRatioDocx(60 * MB, true)), filename: 'r.docx', content_type: DOCX_TYPE },
    },
    {
      name: 'DOCX understating 200 MB',
      body: { content_base64: b64(highRatioDocx(200 * MB, false)), filename: 'l.docx', content_type: DOCX_TYPE },
    },
    {
      name: 'nested DOCX, 100 MB in parts',
      body: { content_base64: b64(nestedDocx(100 * MB)), filename: 'n.docx', content_type: DOCX_TYPE },
    },
    {
      name: 'PDF with a 19 MB content stream',
      body: { content_base64: b64(pdfStreamBomb(19 * MB)), filename: 's.pdf', content_type: 'application/pdf' },
    },
    {
      name: 'PDF stream bomb, 200 MB',
      body: { content_base64: b64(pdfStreamBomb(200 * MB)), filename: 'b.pdf', content_type: 'application/pdf' },
    },
    {
      name: 'PDF with 3,000 pages',
      body: { content_base64: b64(manyPagesPdf(3000)), filename: 'p.pdf', content_type: 'application/pdf' },
    },
    { name: '100,000-line text, 3 MB', body: { text: manyLines(100_000, 30), filename: 'l.txt' } },
    { name: '100,000-row CSV', body: { text: manyRowsCsv(100_000), filename: 'r.csv', content_type: 'text/csv' } },
    {
      name: 'HTML nested 100,000 deep',
      body: { text: deepHtml(100_000), filename: 'd.html', content_type: 'text/html' },
    },
  ];
}

function api(base: string, key: string, method: string, path: string, body?: unknown) {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise<{ status: number; json: Record<string, unknown> }>((resolve, reject) => {
    const req = request(`${base}${path}`, {
      method,
      agent: false,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    });
    req.on('response', (res) => {
      let text = '';
      res.on('data', (d) => {
        text += d;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) }));
    });
    req.on('error', reject);
    req.end(payload);
  });
}

const rss = (pid: number, field: 'VmRSS' | 'VmHWM') =>
  Number(readFileSync(`/proc/${pid}/status`, 'utf8').match(new RegExp(`${field}:\\s+(\\d+) kB`))?.[1] ?? 0) / 1024;

function percentile(sorted: number[], p: number) {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

function summary(ms: number[]) {
  const s = [...ms].sort((a, b) => a - b);
  return {
    n: s.length,
    p50: +percentile(s, 50).toFixed(1),
    p99: +percentile(s, 99).toFixed(1),
    max: +s[s.length - 1].toFixed(1),
  };
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'oprag-noisy-'));
  const server = spawnServer(join(dir, 'data'), {});
  try {
    const base = await server.ready;
    const pid = server.child.pid as number;
    const admin = readFileSync(join(dir, 'data', 'admin-key'), 'utf8').trim();
    const mk = async (name: string) => {
      const r = await api(base, admin, 'POST', '/v1/projects', { name });
      const b = r.json as { project: { id: string }; api_key: { key: string } };
      return { id: b.project.id, key: b.api_key.key };
    };
    const quiet = await mk('quiet tenant');
    const noisy = await mk('noisy tenant');
    // the quiet tenant chats without pause for as long as the hostile set takes: no per-minute cap
    const lifted = await api(base, admin, 'PATCH', `/v1/projects/${quiet.id}`, { limits: { chat_per_minute: null } });
    if (lifted.status !== 200) throw new Error(`limits: ${lifted.status} ${JSON.stringify(lifted.json)}`);
    for (const text of [
      '# Refunds\n\nRefunds are accepted within 30 days of purchase. Shipping costs are not refunded.',
      '# Shipping\n\nOrders ship within two business days. Express delivery arrives the next business day.',
      '# Warranty\n\nEvery blender carries a two-year warranty covering the motor.',
    ]) {
      const r = await api(base, quiet.key, 'POST', '/v1/documents?wait=true', { text, content_type: 'text/markdown' });
      if (r.status !== 201) throw new Error(`seed: ${r.status} ${JSON.stringify(r.json)}`);
    }
    const chat = async () => {
      const t = performance.now();
      const r = await api(base, quiet.key, 'POST', '/v1/chat', {
        question: 'How many days do I have to ask for a refund?',
      });
      if (r.status !== 200) throw new Error(`chat: ${r.status} ${JSON.stringify(r.json)}`);
      return performance.now() - t;
    };
    for (let i = 0; i < 20; i++) await chat(); // warm-up
    const quietMs: number[] = [];
    for (let i = 0; i < arg('quiet-chats', 300); i++) quietMs.push(await chat());
    const idleRss = rss(pid, 'VmRSS');
    writeFileSync(`/proc/${pid}/clear_refs`, '5'); // resets VmHWM (Linux)

    const files = hostileSet();
    const rounds = arg('rounds', 1);
    const started = performance.now();
    const ids: string[] = [];
    for (let r = 0; r < rounds; r++) {
      for (const f of files) {
        const res = await api(base, noisy.key, 'POST', '/v1/documents', { ...f.body, external_id: `${r}-${f.name}` });
        if (res.status !== 202) throw new Error(`${f.name}: ${res.status} ${JSON.stringify(res.json)}`);
        ids.push((res.json as { document: { id: string } }).document.id);
      }
    }
    const noisyMs: number[] = [];
    let peakSampled = 0;
    const settled = new Map<string, { status: string; error: string | null; chunks?: number }>();
    while (settled.size < ids.length) {
      noisyMs.push(await chat());
      peakSampled = Math.max(peakSampled, rss(pid, 'VmRSS'));
      if (noisyMs.length % 10 === 0) {
        for (const id of ids.filter((i) => !settled.has(i))) {
          const d = (await api(base, noisy.key, 'GET', `/v1/documents/${id}`)).json as {
            document: { status: string; error: string | null; chunks?: number };
          };
          if (d.document.status === 'ready' || d.document.status === 'failed') settled.set(id, d.document);
        }
      }
    }
    const hostileSeconds = (performance.now() - started) / 1000;
    const q = summary(quietMs);
    const n = summary(noisyMs);
    console.log(
      JSON.stringify(
        {
          machine: `${availableParallelism()} cores (${cpus()[0]?.model.trim()}), ${Math.round(totalmem() / 2 ** 30)} GB, Node ${process.version}`,
          loadAverageAtEnd: loadavg().map((l) => +l.toFixed(1)),
          quietChat: q,
          chatDuringHostileIngest: n,
          p99Ratio: +(n.p99 / q.p99).toFixed(2),
          hostileSeconds: +hostileSeconds.toFixed(1),
          rssMb: {
            idle: Math.round(idleRss),
            peakSampled: Math.round(peakSampled),
            peak: Math.round(rss(pid, 'VmHWM')),
          },
          documents: files.map((f, i) => {
            const d = settled.get(ids[i]);
            return { file: f.name, status: d?.status, error: d?.error ?? null, chunks: d?.chunks };
          }),
        },
        null,
        2,
      ),
    );
  } catch (e) {
    console.error(server.output().slice(-3000));
    throw e;
  } finally {
    server.child.kill('SIGTERM');
    await server.exited;
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
