process.env.AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE = '1';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
process.env.POWERTOOLS_METRICS_NAMESPACE = 'oprag-test';
process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
process.env.POWERTOOLS_METRICS_DISABLED = 'true';

import { DeleteObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { ExtractiveGenerator } from '../../lambdas/adapters/local/extractive-generator';
import { type AwsHome, composeAws } from '../../lambdas/handlers/compose';
import { processBatch } from '../../lambdas/handlers/worker';
import type { BackgroundJob, IngestQueue, JobQueue } from '../../lambdas/ports';
import { type AwsTestServers, appCaller, type Call, startAwsServers } from './aws-home';
import { s3Notification, sqsEvent } from './queue-events';

const BUCKET = 'oprag-drop-purge';

class DiscardingQueue implements IngestQueue {
  async enqueue() {}
}

/** The worker's removals run as soon as a request queues them. */
class InlineJobs implements JobQueue {
  home: AwsHome | null = null;
  async enqueueJob(job: BackgroundJob) {
    await this.home?.services.jobs.run(job);
  }
}

describe('S3 drops and project purge (dynalite, s3rver, OpenSearch in memory)', () => {
  let servers: AwsTestServers;
  let client: S3Client;
  let home: AwsHome;
  let adminKey: string;
  let call: Call;

  beforeAll(async () => {
    servers = await startAwsServers(BUCKET);
    client = servers.s3;
    const jobs = new InlineJobs();
    home = composeAws(servers.config, servers.clients, {
      index: servers.collection.searchIndex(),
      generator: new ExtractiveGenerator(),
      embedder: null,
      queue: new DiscardingQueue(),
      jobs,
    });
    jobs.home = home;
    call = appCaller(home);
    adminKey = (await home.services.keys.createCompany('Drop Co')).api_key.key;
  });

  afterAll(async () => servers.close());

  async function newProject() {
    const res = await call('POST', '/v1/projects', adminKey, { name: 'tenant' });
    expect(res.status).toBe(201);
    return { id: res.body.project.id as string, key: res.body.api_key.key as string };
  }

  const put = (Key: string, Body: string, Metadata?: Record<string, string>) =>
    client.send(new PutObjectCommand({ Bucket: BUCKET, Key, Body, ContentType: 'text/plain', Metadata }));
  const keysUnder = async (Prefix: string) =>
    ((await client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix }))).Contents ?? []).map((o) => o.Key);
  const documents = async (key: string) =>
    (await call('GET', '/v1/documents', key)).body.documents as {
      external_id: string;
      title: string;
      url: string;
      tags: string[];
    }[];

  it('takes title, url and tags from the object metadata, and deletes the document when the object is removed', async () => {
    const p = await newProject();
    const key = `drop/${p.id}/policies/refunds.txt`;
    await put(key, 'Refunds are accepted within 30 days.', {
      'oprag-title': 'Refund policy',
      'oprag-url': '/help/refunds',
      'oprag-tags': 'billing, policy',
    });
    const created = await processBatch(home, sqsEvent(s3Notification(BUCKET, key, 36)));
    expect(created.batchItemFailures).toEqual([]);
    expect(await documents(p.key)).toEqual([
      expect.objectContaining({
        external_id: key,
        title: 'Refund policy',
        url: '/help/refunds',
        tags: ['billing', 'policy'],
      }),
    ]);

    // a removal notification for an object that is back (out-of-order events) leaves the document
    await processBatch(home, sqsEvent(s3Notification(BUCKET, key, 0, 'ObjectRemoved:Delete')));
    expect(await documents(p.key)).toHaveLength(1);

    await client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: key }));
    const removed = await processBatch(
      home,
      sqsEvent(s3Notification(BUCKET, key, 0, 'ObjectRemoved:DeleteMarkerCreated')),
    );
    expect(removed.batchItemFailures).toEqual([]);
    expect(await documents(p.key)).toEqual([]);
    const asked = await call('POST', '/v1/chat', p.key, { question: 'Within how many days are refunds accepted?' });
    expect(asked.body.citations).toEqual([]);
  });

  it("a removal under one project's drop prefix never touches another project's document", async () => {
    const a = await newProject();
    const b = await newProject();
    const keyA = `drop/${a.id}/same.txt`;
    await put(keyA, 'Project A owns the osprey file.');
    await processBatch(home, sqsEvent(s3Notification(BUCKET, keyA, 30)));
    // the same path under b's prefix, removed (it never existed): a's document stays
    await processBatch(home, sqsEvent(s3Notification(BUCKET, `drop/${b.id}/same.txt`, 0, 'ObjectRemoved:Delete')));
    expect((await documents(a.key)).map((d) => d.external_id)).toEqual([keyA]);
  });

  it('a project delete removes its drop/ and uploads/ objects and no other project’s', async () => {
    const gone = await newProject();
    const kept = await newProject();
    await put(`drop/${gone.id}/a.txt`, 'dropped a');
    await put(`drop/${gone.id}/deep/b.txt`, 'dropped b');
    await put(`uploads/${gone.id}/upl_00000000000000000000000000`, 'an upload never processed');
    await put(`drop/${kept.id}/stays.txt`, 'kept');
    await put(`uploads/${kept.id}/upl_00000000000000000000000001`, 'kept upload');
    const res = await call('DELETE', `/v1/projects/${gone.id}`, adminKey);
    expect(res.status).toBe(200);
    // the worker's receipt, in the company's audit, counts the landed objects it removed
    const audit = await call('GET', '/v1/company/audit', adminKey);
    const receipt = audit.body.events.find((e: { action: string }) => e.action === 'projects.purged');
    expect(receipt.detail.deleted).toMatchObject({ project_id: gone.id, blobs: 3 });
    expect(await keysUnder(`drop/${gone.id}/`)).toEqual([]);
    expect(await keysUnder(`uploads/${gone.id}/`)).toEqual([]);
    expect(await keysUnder(`drop/${kept.id}/`)).toEqual([`drop/${kept.id}/stays.txt`]);
    expect(await keysUnder(`uploads/${kept.id}/`)).toEqual([`uploads/${kept.id}/upl_00000000000000000000000001`]);
  });
});
