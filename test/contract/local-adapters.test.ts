import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FsBlobStore } from '../../lambdas/adapters/local/fs-blobs';
import { ReadPool } from '../../lambdas/adapters/local/read-pool';
import { SqliteSearchIndex } from '../../lambdas/adapters/local/sqlite-index';
import { SqliteTenantStore } from '../../lambdas/adapters/local/sqlite-tenant-store';
import { describeBlobStoreContract } from './blob-store.contract';
import { describeSearchIndexContract } from './search-index.contract';
import { describeTenantStoreContract } from './tenant-store.contract';

/** The port contracts against the embedded home's adapters, each on a fresh temporary directory. */

const freshDir = () => mkdtempSync(join(tmpdir(), 'oprag-contract-'));
const remove = (dir: string) => rmSync(dir, { recursive: true, force: true });

describeTenantStoreContract('SqliteTenantStore', async () => {
  const dir = freshDir();
  const store = new SqliteTenantStore(join(dir, 'control.db'));
  return {
    store,
    async close() {
      store.close();
      remove(dir);
    },
  };
});

describeSearchIndexContract('SqliteSearchIndex', async () => {
  const dir = freshDir();
  const index = new SqliteSearchIndex(join(dir, 'projects'));
  return {
    index,
    async close() {
      index.close();
      remove(dir);
    },
  };
});

// the same contract with the searches on two read threads (read-pool.ts), as the server runs them
describeSearchIndexContract('SqliteSearchIndex on read threads', async () => {
  const dir = freshDir();
  const index = new SqliteSearchIndex(join(dir, 'projects'));
  const reads = new ReadPool({ dir: join(dir, 'projects'), threads: 2 });
  index.reads = reads;
  return {
    index,
    async close() {
      index.reads = null;
      await reads.close();
      index.close();
      remove(dir);
    },
  };
});

describeBlobStoreContract('FsBlobStore', async () => {
  const dir = freshDir();
  return { blobs: new FsBlobStore(join(dir, 'blobs')), close: async () => remove(dir) };
});
