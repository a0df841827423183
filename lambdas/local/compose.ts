import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { HttpWebhookSender } from '../adapters/http-webhook-sender';
import { ExtractiveGenerator } from '../adapters/local/extractive-generator';
import { FsBlobStore } from '../adapters/local/fs-blobs';
import { LocalUploadTarget } from '../adapters/local/local-upload-target';
import { InProcessQueue } from '../adapters/local/memory-queue';
import { SqliteSearchIndex } from '../adapters/local/sqlite-index';
import { SqliteTenantStore } from '../adapters/local/sqlite-tenant-store';
import { OpenAIChatGenerator } from '../adapters/openai-generator';
import type { Clock } from '../ports';
import { makeServices } from '../service';
import type { Settings } from '../service/context';

/** The embedded home's composition root: every port on SQLite and the file system under one directory. */
export function composeLocal(dataDir: string, settings: Partial<Settings> = {}, clock?: Clock) {
  mkdirSync(dataDir, { recursive: true });
  const store = new SqliteTenantStore(join(dataDir, 'control.db'));
  const index = new SqliteSearchIndex(join(dataDir, 'projects'));
  const blobs = new FsBlobStore(join(dataDir, 'blobs'));
  const queue = new InProcessQueue({ concurrency: 2, batchSize: 32 });
  const services = makeServices({
    store,
    index,
    blobs,
    // a model server when the operator configured one (OPRAG_LLM_*), else the extractive answerer
    generator: settings.llm ? new OpenAIChatGenerator(settings.llm) : new ExtractiveGenerator(),
    queue,
    uploads: new LocalUploadTarget(),
    webhookSender: new HttpWebhookSender({ allowPrivate: settings.allowPrivateUrls ?? false }),
    settings,
    clock,
  });
  queue.start(
    (projectId, documentId) => services.documents.processDocument(projectId, documentId),
    (projectId, documentIds) => services.documents.processDocuments(projectId, documentIds),
  );
  return {
    services,
    queue,
    async close() {
      await queue.stop();
      // deliveries still in their backoff get a short grace; later ones are dropped with the process
      await services.webhooks.idle(10_000);
      index.close();
      blobs.close();
      store.close();
    },
  };
}

export type LocalHome = ReturnType<typeof composeLocal>;
