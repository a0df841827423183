process.env.AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE = '1';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
process.env.POWERTOOLS_METRICS_NAMESPACE = 'oprag-test';
process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
process.env.POWERTOOLS_METRICS_DISABLED = 'true';

import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { type LambdaInvoke, LambdaReader, type ReaderRequest } from '../../lambdas/adapters/aws/lambda-reader';
import { makeReaderHandler } from '../../lambdas/adapters/aws/reader-function';
import { ingestJob } from '../../lambdas/adapters/aws/sqs-queue';
import { ExtractiveGenerator } from '../../lambdas/adapters/local/extractive-generator';
import { ParsePool } from '../../lambdas/adapters/parse-pool';
import { ExtractionError } from '../../lambdas/core/errors';
import { newId } from '../../lambdas/core/ids';
import { DEFAULT_READ_LIMITS, type ReadLimits } from '../../lambdas/core/read-limits';
import { composeAws } from '../../lambdas/handlers/compose';
import { poolsByLimits } from '../../lambdas/handlers/compose-reader';
import { processBatch } from '../../lambdas/handlers/worker';
import type { IngestQueue } from '../../lambdas/ports';
import { HOSTILE_LIMITS, HOSTILE_SET } from '../fixtures/hostile';
import { type AwsTestServers, appCaller, startAwsServers } from './aws-home';
import { sqsEvent } from './queue-events';

const NAME = 'oprag-reader-function';
const TEXT = '# Returns\n\nRefunds are accepted within 30 days of purchase.\n';

/** Lambda's Invoke as the SDK answers it, running the reader handler in this process. */
function inProcessLambda(handler: (e: ReaderRequest) => Promise<unknown>) {
  const calls: Parameters<LambdaInvoke>[0][] = [];
  const invoke: LambdaInvoke = async (input) => {
    calls.push(input);
    const event = JSON.parse(Buffer.from(input.Payload).toString('utf8'));
    try {
      return { StatusCode: 200, Payload: Buffer.from(JSON.stringify(await handler(event))) };
    } catch (e) {
      // an unhandled error of a function: status 200, FunctionError, the error as the payload
      const err = e as Error;
      const payload = { errorType: err.name, errorMessage: err.message, trace: [] };
      return { StatusCode: 200, FunctionError: 'Unhandled', Payload: Buffer.from(JSON.stringify(payload)) };
    }
  };
  return { invoke, calls };
}

describe('the document reader function (s3rver, a real thread pool)', () => {
  let servers: AwsTestServers;
  const pools: ParsePool[] = [];
  const readerFor = poolsByLimits((limits) => {
    const pool = new ParsePool({ limits });
    pools.push(pool);
    return pool;
  });
  const projectId = newId('project');
  const otherProject = newId('project');
  const original = (id: string, project = projectId) => `projects/${project}/originals/${id}`;
  let handler: ReturnType<typeof makeReaderHandler>;
  let spilling: ReturnType<typeof makeReaderHandler>;

  beforeAll(async () => {
    servers = await startAwsServers(NAME);
    handler = makeReaderHandler({ s3: servers.s3, bucket: NAME, readerFor });
    spilling = makeReaderHandler({
      s3: servers.s3,
      bucket: NAME,
      readerFor,
      inlineMaxBytes: 64,
      scratchId: () => '00000000-0000-4000-8000-000000000001',
    });
  });

  afterAll(async () => {
    await Promise.all(pools.map((p) => p.close()));
    await servers.close();
  });

  const put = (key: string, body: string | Buffer) =>
    servers.s3.send(new PutObjectCommand({ Bucket: NAME, Key: key, Body: body }));
  const request = (key: string, type: ReaderRequest['type'], limits: ReadLimits = DEFAULT_READ_LIMITS) =>
    ({ projectId, type, limits, source: { bucket: NAME, key } }) satisfies ReaderRequest;
  const scratchKeys = async () =>
    ((await servers.s3.send(new ListObjectsV2Command({ Bucket: NAME, Prefix: 'parsed/' }))).Contents ?? []).map(
      (o) => o.Key,
    );

  describe('the handler', () => {
    it('reads an original from the bucket and answers its chunk drafts inline', async () => {
      await put(original('doc_inline'), TEXT);
      const res = await handler(request(original('doc_inline'), 'text/markdown'));

      expect('ok' in res && res.ok.drafts.map((d) => d.text).join(' ')).toContain('within 30 days');
      expect(await scratchKeys()).toEqual([]);
    });

    it('writes a result too large to answer to parsed/<project_id>/ and answers where it is', async () => {
      await put(original('doc_large'), TEXT);
      const res = await spilling(request(original('doc_large'), 'text/markdown'));

      const key = `parsed/${projectId}/00000000-0000-4000-8000-000000000001.json`;
      expect(res).toEqual({ parsed: { bucket: NAME, key } });
      const stored = await servers.s3.send(new GetObjectCommand({ Bucket: NAME, Key: key }));
      expect(JSON.parse(await stored.Body!.transformToString()).ok.text).toContain('within 30 days');
    });

    it('answers an unreadable or over-limit file with the typed error the pool threw', async () => {
      await put(original('doc_truncated'), Buffer.from('%PDF-1.7\n1 0 obj << >> endobj\n'));
      await put(original('doc_long'), TEXT);

      expect(await handler(request(original('doc_truncated'), 'application/pdf'))).toEqual({
        error: {
          name: 'ExtractionError',
          message: 'the PDF is truncated (it has no end-of-file marker); upload the complete file',
        },
      });
      const small = { ...DEFAULT_READ_LIMITS, maxChars: 10 };
      expect(await handler(request(original('doc_long'), 'text/markdown', small))).toEqual({
        error: {
          name: 'ExtractionError',
          message: "the document's text is longer than 10 characters; split it into smaller files",
        },
      });
      expect(await handler(request(original('doc_gone'), 'text/plain'))).toEqual({
        error: { name: 'ExtractionError', message: 'the original file is missing' },
      });
    });

    it.each(HOSTILE_SET)(
      '$name: fails with the same reason as on the local home, under the limits the worker sends',
      async ({ filename, type, bytes, reason }) => {
        const key = original(`doc_hostile_${filename.replace(/\W/g, '_')}`);
        await put(key, bytes());
        const answer = (await handler(request(key, type, HOSTILE_LIMITS))) as {
          error?: { name: string; message: string };
        };
        expect(answer.error?.name).toBe('ExtractionError');
        expect(answer.error?.message).toMatch(reason);
      },
    );

    it("refuses, unread, a key that is not the project's original or another bucket", async () => {
      await put(original('doc_theirs', otherProject), 'their secret text');
      await put(`drop/${projectId}/notes.txt`, 'dropped');

      for (const event of [
        request(original('doc_theirs', otherProject), 'text/plain'),
        request(`drop/${projectId}/notes.txt`, 'text/plain'),
        request(`projects/${projectId}/originals/../../${otherProject}/originals/doc_theirs`, 'text/plain'),
        {
          ...request(original('doc_inline'), 'text/plain'),
          source: { bucket: 'elsewhere', key: original('doc_inline') },
        },
        { ...request(original('doc_inline'), 'text/plain'), limits: { ...DEFAULT_READ_LIMITS, memoryMb: -1 } },
        { ...request(original('doc_inline'), 'text/plain'), type: 'application/x-sh' as 'text/plain' },
      ]) {
        await expect(handler(event)).rejects.toThrow();
      }
    });
  });

  describe('LambdaReader, the worker side', () => {
    const reader = (invoke: LambdaInvoke, limits = DEFAULT_READ_LIMITS) =>
      new LambdaReader({ invoke, functionName: 'oprag-test-reader', bucket: NAME, s3: servers.s3, limits });

    it('invokes the function synchronously with the original and the read limits', async () => {
      await put(original('doc_asked'), TEXT);
      const lambda = inProcessLambda(handler);

      const doc = await reader(lambda.invoke).read(Buffer.from(TEXT), 'text/markdown', {
        projectId,
        key: 'originals/doc_asked',
      });

      expect(doc.text).toContain('within 30 days');
      expect(lambda.calls).toHaveLength(1);
      const [call] = lambda.calls;
      expect(call.FunctionName).toBe('oprag-test-reader');
      expect(call.InvocationType).toBe('RequestResponse');
      expect(JSON.parse(Buffer.from(call.Payload).toString())).toEqual({
        projectId,
        type: 'text/markdown',
        limits: DEFAULT_READ_LIMITS,
        source: { bucket: NAME, key: original('doc_asked') },
      });
    });

    it('reads a scratch result back and removes it', async () => {
      await put(original('doc_spilled'), TEXT);
      const doc = await reader(inProcessLambda(spilling).invoke).read(Buffer.alloc(0), 'text/markdown', {
        projectId,
        key: 'originals/doc_spilled',
      });

      expect(doc.text).toContain('within 30 days');
      expect(await scratchKeys()).toEqual([]);
    });

    it('throws the ExtractionError the function answered, with its message', async () => {
      await put(original('doc_bad_pdf'), Buffer.from('%PDF-1.4\n'));
      const read = reader(inProcessLambda(handler).invoke).read(Buffer.alloc(0), 'application/pdf', {
        projectId,
        key: 'originals/doc_bad_pdf',
      });

      await expect(read).rejects.toBeInstanceOf(ExtractionError);
      await expect(read).rejects.toThrow('the PDF is truncated');
    });

    it("turns a function error (FunctionError: 'Unhandled') into an error that is no ExtractionError", async () => {
      const crashed: LambdaInvoke = async () => ({
        StatusCode: 200,
        FunctionError: 'Unhandled',
        Payload: Buffer.from(JSON.stringify({ errorType: 'Runtime.ExitError', errorMessage: 'exited with error' })),
      });

      const read = reader(crashed).read(Buffer.alloc(0), 'text/plain', { projectId, key: 'originals/doc_x' });

      await expect(read).rejects.toThrow('the document reader failed (Unhandled): exited with error');
      await expect(read).rejects.not.toBeInstanceOf(ExtractionError);
    });

    it('never reads or deletes an object the answer names outside the project scratch area', async () => {
      await put(original('doc_keep', otherProject), 'keep me');
      await put(`parsed/${otherProject}/00000000-0000-4000-8000-000000000002.json`, '{"ok":{}}');
      for (const key of [
        original('doc_keep', otherProject),
        `parsed/${otherProject}/00000000-0000-4000-8000-000000000002.json`,
      ]) {
        const liar: LambdaInvoke = async () => ({
          StatusCode: 200,
          Payload: Buffer.from(JSON.stringify({ parsed: { bucket: NAME, key } })),
        });
        await expect(
          reader(liar).read(Buffer.alloc(0), 'text/plain', { projectId, key: 'originals/doc_x' }),
        ).rejects.toThrow('outside its scratch area');
        const still = await servers.s3.send(new GetObjectCommand({ Bucket: NAME, Key: key }));
        expect(still.ContentLength).toBeGreaterThan(0);
      }
    });

    it('refuses an answer that is not JSON', async () => {
      const garbled: LambdaInvoke = async () => ({ StatusCode: 200, Payload: Buffer.from('not json') });
      await expect(
        reader(garbled).read(Buffer.alloc(0), 'text/plain', { projectId, key: 'originals/doc_x' }),
      ).rejects.toThrow('gave no answer');
    });
  });

  describe('the worker, reading through the reader function', () => {
    class RecordingQueue implements IngestQueue {
      readonly sent: string[] = [];
      async enqueue(p: string, d: string) {
        this.sent.push(JSON.stringify(ingestJob(p, d)));
      }
    }

    it('makes a readable document ready and fails an unreadable one with the message of the in-process reader', async () => {
      const lambda = inProcessLambda(spilling);
      const queue = new RecordingQueue();
      const home = composeAws(
        { ...servers.config, readerFunctionName: 'oprag-test-reader' },
        { ...servers.clients, lambda: lambda.invoke },
        { index: servers.collection.searchIndex(), generator: new ExtractiveGenerator(), embedder: null, queue },
      );
      const call = appCaller(home);
      const admin = (await home.services.keys.createCompany('Reader Co')).api_key.key;
      const project = (await call('POST', '/v1/projects', admin, { name: 'tenant' })).body;
      const key = project.api_key.key as string;
      const ok = (await call('POST', '/v1/documents', key, { title: 'Returns', text: TEXT })).body.document.id;
      const bad = (
        await call('POST', '/v1/documents', key, {
          content_base64: Buffer.from('%PDF-1.4\n').toString('base64'),
          content_type: 'application/pdf',
          external_id: 'broken.pdf',
        })
      ).body.document.id;

      const result = await processBatch(home, sqsEvent(...queue.sent));

      expect(result.batchItemFailures).toEqual([]);
      expect(lambda.calls).toHaveLength(2);
      const get = async (id: string) =>
        (await call('GET', `/v1/projects/${project.project.id}/documents/${id}`, admin)).body.document;
      expect(await get(ok)).toMatchObject({ status: 'ready' });
      expect(servers.collection.chunksOf(project.project.id, ok).length).toBeGreaterThan(0);
      expect(await get(bad)).toMatchObject({
        status: 'failed',
        error: 'the PDF is truncated (it has no end-of-file marker); upload the complete file',
      });
      // the readable one went through the scratch area, and was removed from it
      expect((await scratchKeys()).filter((k) => k?.startsWith(`parsed/${project.project.id}/`))).toEqual([]);
    });
  });
});
