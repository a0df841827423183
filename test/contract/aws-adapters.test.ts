process.env.AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE = '1';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { createTableForTests, DynamoTenantStore } from '../../lambdas/adapters/aws/dynamo-tenant-store';
import { S3BlobStore } from '../../lambdas/adapters/aws/s3-blobs';
import { newId } from '../../lambdas/core/ids';
import { MemoryCollection } from '../aws/opensearch-memory';
import {
  type Dynalite,
  dynamoClient,
  type S3Server,
  s3Client,
  startDynalite,
  startS3rver,
} from '../aws/protocol-servers';
import { describeBlobStoreContract } from './blob-store.contract';
import { chunk } from './fixtures';
import { describeIndexWritesContract } from './search-index.contract';
import { describeTenantStoreContract } from './tenant-store.contract';

/**
 * The port contracts against the AWS home's adapters, on real protocol servers on loopback:
 * DynamoDB on dynalite (a fresh table for every test) and S3 on s3rver (a fresh bucket); the
 * index's writes on an in-memory OpenSearch collection (its searches need the real endpoint).
 */

let dynalite: Dynalite;
let s3rver: S3Server;
let n = 0;

beforeAll(async () => {
  [dynalite, s3rver] = await Promise.all([startDynalite(), startS3rver()]);
});
afterAll(async () => {
  await Promise.all([dynalite?.close(), s3rver?.close()]);
});

describeTenantStoreContract('DynamoTenantStore on dynalite', async () => {
  const client = dynamoClient(dynalite.endpoint);
  const tableName = `oprag-contract-${++n}`;
  await createTableForTests(client, tableName);
  return {
    store: new DynamoTenantStore({ client, tableName }),
    async close() {
      await client.send(new DeleteTableCommand({ TableName: tableName }));
      client.destroy();
    },
  };
});

describeBlobStoreContract(
  'S3BlobStore on s3rver',
  async () => {
    const client = s3Client(s3rver.endpoint);
    const bucket = `oprag-blobs-${++n}`;
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
    return {
      blobs: new S3BlobStore({ client, bucket }),
      async close() {
        client.destroy();
      },
      async land(Key, Body, ContentType) {
        await client.send(new PutObjectCommand({ Bucket: bucket, Key, Body, ContentType }));
      },
    };
  },
  true,
);

describeIndexWritesContract('OpenSearchIndex on an in-memory collection', async () => {
  const collection = await MemoryCollection.start();
  return { index: collection.searchIndex(), close: () => collection.close() };
});

describe('OpenSearchIndex.replaceDocuments on an in-memory collection', () => {
  it('fails a document alone: the others of the batch are replaced, it keeps what it had', async () => {
    const collection = await MemoryCollection.start();
    try {
      const search = collection.searchIndex(3);
      const projectId = newId('project');
      const index = search.forProject(projectId, await search.createProject(projectId));
      const [good, bad] = [newId('document'), newId('document')];
      const before = chunk(bad, 0, 'the version before');
      await index.replaceDocument(bad, [before]);
      const fresh = chunk(good, 0, 'a good chunk', { vector: [1, 0, 0] });

      const errors = await index.replaceDocuments([
        { documentId: good, chunks: [fresh] },
        { documentId: bad, chunks: [chunk(bad, 0, 'a wrong vector', { vector: [1, 0] })] },
      ]);

      expect(errors[0]).toBeNull();
      expect(String(errors[1])).toMatch(/2 dimensions, not 3/);
      expect(await index.documentChunkIds(good)).toEqual([fresh.id]);
      expect(await index.documentChunkIds(bad)).toEqual([before.id]);
    } finally {
      await collection.close();
    }
  });
});

describe('OpenSearchIndex.relabelDocument on an in-memory collection', () => {
  it('leaves one version of the document, with the new labels, its text and vectors as they were', async () => {
    const collection = await MemoryCollection.start();
    try {
      const search = collection.searchIndex(3);
      const projectId = newId('project');
      const index = search.forProject(projectId, await search.createProject(projectId));
      const [doc, other] = [newId('document'), newId('document')];
      const chunks = [
        chunk(doc, 1, 'second', { title: 'Old', url: '/old', tags: ['draft'], vector: [0, 1, 0] }),
        chunk(doc, 0, 'first', { title: 'Old', url: '/old', tags: ['draft'], vector: [1, 0, 0] }),
      ];
      await index.replaceDocument(doc, chunks);
      await index.replaceDocument(other, [chunk(other, 0, 'other', { title: 'Other' })]);

      expect(
        await index.relabelDocument(doc, { title: 'New', url: 'https://example.com/new', tags: ['billing'] }),
      ).toBe(2);

      const stored = collection.chunksOf(projectId, doc).sort((a, b) => Number(a.ordinal) - Number(b.ordinal));
      expect(new Set(stored.map((s) => s.version)).size).toBe(1);
      expect(stored.map(({ version: _, ...s }) => s)).toEqual(
        [chunks[1], chunks[0]].map(({ id, ...c }) => ({
          ...c,
          chunk_id: id,
          title: 'New',
          url: 'https://example.com/new',
          tags: ['billing'],
        })),
      );
      expect(await index.documentChunkIds(doc)).toEqual([chunks[1].id, chunks[0].id]);
      expect(collection.chunksOf(projectId, other)).toEqual([expect.objectContaining({ title: 'Other' })]);
    } finally {
      await collection.close();
    }
  });
});
