import { join } from 'node:path';
import { HttpWebhookSender } from '../adapters/http-webhook-sender';
import { ExtractiveGenerator } from '../adapters/local/extractive-generator';
import { FsBlobStore } from '../adapters/local/fs-blobs';
import { InProcessJobRunner } from '../adapters/local/job-runner';
import { lineLogger } from '../adapters/local/line-logger';
import { LocalUploadTarget } from '../adapters/local/local-upload-target';
import { InProcessQueue } from '../adapters/local/memory-queue';
import { privateDir } from '../adapters/local/private-files';
import { defaultReadThreads, ReadPool } from '../adapters/local/read-pool';
import { SqliteSearchIndex } from '../adapters/local/sqlite-index';
import { poolSize } from '../adapters/local/sqlite-pool-size';
import { SqliteTenantStore } from '../adapters/local/sqlite-tenant-store';
import { OpenAIChatGenerator } from '../adapters/openai-generator';
import { ParsePool } from '../adapters/parse-pool';
import type { Clock, Generator, Logger } from '../ports';
import { resolveSettings } from '../service';
import type { Settings } from '../service/context';
import { makeLocalServices } from '../service/local-home';

/**
 * The embedded home's composition root: every port on SQLite and the file system under one
 * directory, and a logger writing one JSON line per event to stderr. The server takes the use
 * cases, the settings and the logger; the ports are here for tests, and so is the clock.
 */
export function composeLocal(
  dataDir: string,
  overrides: Partial<Settings> = {},
  opts: {
    logger?: Logger;
    quietLogLevel?: 'warn' | 'error';
    clock?: Clock;
    generator?: Generator;
    /** searches' and answers' threads (OPRAG_READ_THREADS, else one per core; 0: on the event loop) */
    readThreads?: number;
    /** the read threads' entry file (tests) */
    readEntry?: string;
  } = {},
) {
  const { clock } = opts;
  const logger =
    opts.logger ?? lineLogger(process.env.OPRAG_LOG_LEVEL || !opts.quietLogLevel ? {} : { level: opts.quietLogLevel });
  // the data directory is the server user's alone: 0700 folders, 0600 files (see docs/security.md)
  privateDir(dataDir);
  const settings = resolveSettings(overrides);
  const store = new SqliteTenantStore(join(dataDir, 'control.db'));
  // searches and extractive answers on every core, each thread with its own read connections
  const threads = opts.readThreads ?? defaultReadThreads();
  // with read threads, the event loop's own connections serve only what is not a search (counts
  // for the project list, tidying): a few, so the threads' connections and these stay within the
  // open-file budget of one pool
  const index = new SqliteSearchIndex(join(dataDir, 'projects'), threads > 0 ? 16 : poolSize());
  const reads =
    threads > 0
      ? new ReadPool({
          dir: join(dataDir, 'projects'),
          threads,
          // the threads together keep as many projects open as the event loop's pool does
          maxOpen: Math.max(16, Math.floor(poolSize() / threads)),
          entry: opts.readEntry,
          logger,
        })
      : null;
  index.reads = reads;
  // a project's small blobs are read and written while it ingests: a few open at a time are enough
  const blobs = new FsBlobStore(join(dataDir, 'blobs'), 16, join(dataDir, 'drop'));
  // four batches of up to 128 documents at a time, at most two of one project: while the write
  // thread writes one, the next is handed over (SqliteSearchIndex.handedOver) and others are read
  const queue = new InProcessQueue({ concurrency: 4, batchSize: 128, logger });
  // documents are read off the event loop, in threads with a heap limit and a deadline
  const reader = new ParsePool({ limits: settings.readLimits, workers: settings.readWorkers, logger });
  const jobs = new InProcessJobRunner({ clock: clock ?? { now: () => new Date() }, logger });
  const services = makeLocalServices({
    store,
    index,
    blobs,
    // a model server when the operator configured one (OPRAG_LLM_*), else the extractive answerer;
    // a test may bring its own
    generator:
      opts.generator ?? (settings.llm ? new OpenAIChatGenerator(settings.llm) : new ExtractiveGenerator(reads)),
    queue,
    reader,
    jobs,
    uploads: new LocalUploadTarget(),
    webhookSender: new HttpWebhookSender({ allowPrivate: settings.allowPrivateUrls ?? false }),
    logger,
    settings,
    clock,
  });
  queue.start((projectId, documentIds) => services.documents.processDocuments(projectId, documentIds));
  jobs.start((job) => services.jobs.run(job), services.jobs.fail);
  return {
    services,
    settings,
    logger,
    queue,
    jobs,
    store,
    index,
    blobs,
    reader,
    reads,
    async close() {
      await queue.stop();
      await reader.close();
      await jobs.stop();
      // deliveries still in their backoff get a short grace; later ones are dropped with the process
      await services.webhooks.idle(10_000);
      // the searches still to come run on this thread; those on the read threads finish first
      index.reads = null;
      await reads?.close();
      await index.close();
      blobs.close();
      store.close();
    },
  };
}

export type LocalHome = ReturnType<typeof composeLocal>;
