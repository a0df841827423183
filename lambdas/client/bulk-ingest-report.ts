/** What `oprag ingest` shows: a progress bar or plain lines on stderr, and the summary on stdout. */
import { relative } from 'node:path';
import { Presets, SingleBar } from 'cli-progress';
import {
  type BulkIngestSummary,
  bulkIngest,
  type Counts,
  DEFAULT_UPLOAD_THRESHOLD,
  IngestAbort,
  type IngestFailure,
  type ProgressSink,
} from './bulk-ingest';

const shown = (file: string) => {
  const rel = relative(process.cwd(), file);
  return rel && !rel.startsWith('..') ? rel : file;
};
const tally = (c: Counts) => `sent ${c.sent}, unchanged ${c.unchanged}, ready ${c.ready}, failed ${c.failed}`;

/** A cli-progress bar, for a terminal; failures are listed in the summary. */
export function barProgress(stream: NodeJS.WritableStream): ProgressSink {
  let bar: SingleBar | null = null;
  return {
    start(phase, total) {
      bar = new SingleBar(
        {
          stream,
          format: `${phase.padEnd(10)} [{bar}] {value}/{total} | {tally} | {duration_formatted}`,
          hideCursor: true,
          fps: 10,
        },
        Presets.shades_classic,
      );
      bar.start(total, 0, { tally: '' });
    },
    update(done, counts) {
      bar?.update(done, { tally: tally(counts) });
    },
    failure() {},
    stop() {
      bar?.stop();
      bar = null;
    },
  };
}

/** Plain lines for logs: each failure as it happens, and the progress at most every few seconds. */
export function lineProgress(stream: NodeJS.WritableStream, everyMs = 2000): ProgressSink {
  let phase = '';
  let total = 0;
  let last = 0;
  let line = '';
  return {
    start(p, t) {
      phase = p;
      total = t;
      last = Date.now();
      line = '';
      stream.write(`${phase} ${total} ${phase === 'sending' ? 'files' : 'documents'}\n`);
    },
    update(done, counts) {
      line = `${phase} ${done}/${total} (${tally(counts)})\n`;
      if (Date.now() - last >= everyMs) {
        last = Date.now();
        stream.write(line);
        line = '';
      }
    },
    failure(f: IngestFailure) {
      stream.write(`failed: ${shown(f.file)}: ${f.reason}\n`);
    },
    stop() {
      if (line) stream.write(line);
      line = '';
    },
  };
}

export function formatSummary(s: BulkIngestSummary): string {
  const lines = [
    `project ${s.project}: ${s.files} files in ${s.elapsed_s} s, ${s.docs_per_s} docs/s sent${s.waited ? ' and processed' : ''}`,
    `  sent       ${s.sent}${s.uploads ? ` (${s.uploads} through upload URLs)` : ''}`,
    `  unchanged  ${s.unchanged} (skipped)`,
    `  ready      ${s.ready}`,
    `  failed     ${s.failed}`,
  ];
  if (!s.waited) lines.push(`  queued     ${s.pending} (not waited for)`);
  for (const f of s.failures) lines.push(`    ${shown(f.file)}: ${f.reason}`);
  return `${lines.join('\n')}\n`;
}

function positiveInt(value: string, flag: string, min = 1): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new IngestAbort(`${flag} must be an integer of at least ${min}`);
  return n;
}

/** The command: runs the ingestion, prints the summary, and answers the exit code (1 on any failure). */
export async function runIngestCommand(
  paths: string[],
  opts: {
    project: string;
    baseUrl: string;
    key: string;
    concurrency: string;
    wait: boolean;
    timeout: string;
    uploadThresholdBytes?: string;
    batchSize?: string;
    urlTemplate?: string;
    json?: boolean;
  },
): Promise<number> {
  const stderr = process.stderr;
  const summary = await bulkIngest({
    baseUrl: opts.baseUrl,
    key: opts.key,
    project: opts.project,
    inputs: paths,
    concurrency: positiveInt(opts.concurrency, '--concurrency'),
    wait: opts.wait,
    timeoutSeconds: positiveInt(opts.timeout, '--timeout'),
    uploadThresholdBytes: opts.uploadThresholdBytes
      ? positiveInt(opts.uploadThresholdBytes, '--upload-threshold-bytes', 0)
      : DEFAULT_UPLOAD_THRESHOLD,
    batchSize: opts.batchSize ? positiveInt(opts.batchSize, '--batch-size', 0) : undefined,
    progress: stderr.isTTY ? barProgress(stderr) : lineProgress(stderr),
    urlTemplate: opts.urlTemplate,
  });
  process.stdout.write(opts.json ? `${JSON.stringify(summary, null, 2)}\n` : formatSummary(summary));
  return summary.failed > 0 ? 1 : 0;
}
