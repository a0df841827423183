/**
 * Peak memory of the embedded default while it takes large files through upload URLs: a 100 MB
 * text file and a 50 MB PDF (text pages plus scanned-looking images), each PUT to a one-time
 * upload URL of a real `oprag serve` child process, then processed until `ready`. Reports the
 * server process's peak RSS (VmHWM) before and after each file, and the times.
 *
 *   npm run bench:large -- [--text-mb 100] [--pdf-mb 50]
 */
import { createReadStream, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { makePdf, paragraph, random, writeLargeText } from '../test/fixtures/documents';
import { spawnServer } from '../test/helpers/cli';
import { option } from './args';

const arg = (name: string, fallback: number) => Number(option(name, String(fallback)));
const MB = 2 ** 20;

function peakRss(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(status.match(/VmHWM:\s+(\d+) kB/)?.[1] ?? 0) / 1024;
}

function resetPeak(pid: number) {
  // writing 5 to clear_refs resets the peak RSS counter (Linux)
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
  } catch {
    /* not permitted: the peak then includes everything before */
  }
}

/** One request on a fresh connection (a server busy for seconds may close idle keep-alive sockets). */
function api(base: string, key: string, method: string, path: string, body?: unknown) {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise<Record<string, unknown>>((resolve, reject) => {
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
      res.on('end', () => {
        const json = JSON.parse(text) as Record<string, unknown>;
        if ((res.statusCode ?? 500) >= 400) reject(new Error(`${method} ${path}: ${res.statusCode} ${text}`));
        else resolve(json);
      });
    });
    req.on('error', reject);
    req.end(payload);
  });
}

/** Asks the server for a small page every 100 ms and keeps the slowest answer: how long it stalls. */
function stallMeter(base: string, key: string) {
  let worst = 0;
  let stop = false;
  const loop = (async () => {
    while (!stop) {
      const t = Date.now();
      await api(base, key, 'GET', '/v1/projects?limit=1').catch(() => undefined);
      worst = Math.max(worst, Date.now() - t);
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  return {
    async end() {
      stop = true;
      await loop;
      return worst;
    },
  };
}

function putFile(url: string, file: string, contentType: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: 'PUT',
      headers: { 'content-type': contentType, 'content-length': statSync(file).size },
    });
    req.on('response', (res) => {
      let body = '';
      res.on('data', (d) => {
        body += d;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    createReadStream(file).pipe(req);
  });
}

async function ingestLarge(base: string, key: string, pid: number, projectId: string, file: string, type: string) {
  resetPeak(pid);
  const before = peakRss(pid);
  const meter = stallMeter(base, key);
  const started = Date.now();
  const created = (await api(base, key, 'POST', `/v1/projects/${projectId}/uploads`, {
    filename: file.split('/').pop(),
    content_type: type,
  })) as { upload: { url: string; document_id: string } };
  const put = await putFile(created.upload.url, file, type);
  if (put.status !== 200) throw new Error(`upload PUT: ${put.status} ${put.body}`);
  const uploaded = Date.now();
  let doc: { status: string; chunks: number; error: string | null };
  for (;;) {
    doc = (
      (await api(base, key, 'GET', `/v1/projects/${projectId}/documents/${created.upload.document_id}`)) as {
        document: typeof doc;
      }
    ).document;
    if (doc.status === 'ready' || doc.status === 'failed') break;
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    bytes: statSync(file).size,
    status: doc.status,
    error: doc.error,
    chunks: doc.chunks,
    uploadSeconds: (uploaded - started) / 1000,
    totalSeconds: (Date.now() - started) / 1000,
    rssBeforeMb: Math.round(before),
    peakRssMb: Math.round(peakRss(pid)),
    longestStallMs: await meter.end(),
  };
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'oprag-large-'));
  const textFile = join(dir, 'large.txt');
  const pdfFile = join(dir, 'large.pdf');
  const textMb = arg('text-mb', 100);
  const pdfMb = arg('pdf-mb', 50);
  await writeLargeText(textFile, textMb * MB, 'The escrow release code for the archive is HELIOTROPE-7.');
  const rand = random(3);
  const pages = Array.from({ length: 400 }, () => Array.from({ length: 30 }, () => paragraph(rand, 1).slice(0, 95)));
  pages[276].push('The vault code is ZINNIA-42.'); // page 277
  // a scanned-looking image on every page; PNG framing makes each about 1.5 times its pixel count
  writeFileSync(pdfFile, await makePdf(pages, { noiseBytesPerPage: (pdfMb * MB) / pages.length / 1.55 }));

  const server = spawnServer(join(dir, 'data'), {});
  try {
    const base = await server.ready;
    const pid = server.child.pid as number;
    const key = readFileSync(join(dir, 'data', 'admin-key'), 'utf8').trim();
    const project = (await api(base, key, 'POST', '/v1/projects', { name: 'Large files' })) as {
      project: { id: string };
    };
    const idle = peakRss(pid);
    const text = await ingestLarge(base, key, pid, project.project.id, textFile, 'text/plain');
    const pdf = await ingestLarge(base, key, pid, project.project.id, pdfFile, 'application/pdf');
    const ask = async (q: string) =>
      (
        (await api(base, key, 'POST', `/v1/projects/${project.project.id}/retrieve`, { query: q, top_k: 1 })) as {
          results: { text: string; page: number | null }[];
        }
      ).results[0];
    const report = {
      machine: `${cpus().length} cores (${cpus()[0]?.model.trim()}), ${Math.round(totalmem() / 2 ** 30)} GB, Node ${process.version}`,
      idleRssMb: Math.round(idle),
      text: { ...text, found: (await ask('escrow release code HELIOTROPE-7'))?.text.includes('HELIOTROPE-7') },
      pdf: {
        ...pdf,
        pages: pages.length,
        foundOnPage: (await ask('vault code ZINNIA-42'))?.page ?? null,
      },
    };
    console.log(JSON.stringify(report, null, 2));
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
