process.env.AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE = '1';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

import { createHash } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SQSClient } from '@aws-sdk/client-sqs';
import { parseQueueMessage, SqsIngestQueue, SqsJobQueue } from '../../lambdas/adapters/aws/sqs-queue';
import { newId } from '../../lambdas/core/ids';

interface Recorded {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A loopback stand-in for SQS that records each request and answers in the AWS JSON 1.0 protocol. */
let server: Server;
let endpoint: string;
let recorded: Recorded[] = [];
let answer: (req: Recorded) => { status: number; headers?: Record<string, string>; body: unknown };

const md5 = (text: string) => createHash('md5').update(text).digest('hex');
const sendMessageOk = (req: Recorded) => ({
  status: 200,
  body: { MD5OfMessageBody: md5(JSON.parse(req.body).MessageBody), MessageId: 'c5f1ab2e-0000-4000-8000-000000000001' },
});

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
      };
      recorded.push(r);
      const out = answer(r);
      res.writeHead(out.status, {
        'content-type': 'application/x-amz-json-1.0',
        'x-amzn-requestid': 'f1e2d3c4-0000-4000-8000-000000000002',
        ...out.headers,
      });
      res.end(JSON.stringify(out.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});
beforeEach(() => {
  recorded = [];
  answer = sendMessageOk;
});

function queue() {
  const client = new SQSClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  const queueUrl = `${endpoint}/123456789012/oprag-ingest`;
  return { client, queueUrl, queue: new SqsIngestQueue({ client, queueUrl }) };
}

describe('SqsJobQueue', () => {
  it('sends a golden run with the delay it waits for, and an export at once; the worker reads both back', async () => {
    const { client, queueUrl } = queue();
    const jobs = new SqsJobQueue({ client, queueUrl });
    const run = { type: 'golden_run' as const, project_id: newId('project'), run_id: newId('run') };
    const exp = { type: 'export' as const, project_id: newId('project'), export_id: newId('export') };

    await jobs.enqueueJob(run, 42.5);
    await jobs.enqueueJob(exp);
    await jobs.enqueueJob(run, 5000);
    client.destroy();

    expect(recorded.map((r) => r.headers['x-amz-target'])).toEqual(Array(3).fill('AmazonSQS.SendMessage'));
    const sent = recorded.map((r) => JSON.parse(r.body));
    expect(sent.map((m) => m.QueueUrl)).toEqual([queueUrl, queueUrl, queueUrl]);
    // whole seconds, and never past SQS's 15 minutes
    expect(sent.map((m) => m.DelaySeconds)).toEqual([43, 0, 900]);
    expect(parseQueueMessage(sent[0].MessageBody)).toEqual({ type: 'job', job: run });
    expect(parseQueueMessage(sent[1].MessageBody)).toEqual({ type: 'job', job: exp });
  });

  it('reads a job that names no valid project, run or export as invalid', () => {
    const project_id = newId('project');
    for (const body of [
      { type: 'golden_run', project_id, run_id: 'run_../x' },
      { type: 'golden_run', project_id: 'prj_nope', run_id: newId('run') },
      { type: 'export', project_id, export_id: newId('run') },
      { type: 'export', project_id },
      { type: 'relabel', project_id },
      { type: 'relabel', project_id, document_id: 'doc_../x' },
      { type: 'relabel', project_id: 'prj_nope', document_id: newId('document') },
    ]) {
      expect(parseQueueMessage(JSON.stringify(body))).toMatchObject({ type: 'invalid' });
    }
  });

  it("reads a relabel job back: the project and the document whose chunks get the record's labels", () => {
    const job = { type: 'relabel' as const, project_id: newId('project'), document_id: newId('document') };
    expect(parseQueueMessage(JSON.stringify(job))).toEqual({ type: 'job', job });
  });
});

describe('SqsIngestQueue', () => {
  /** SendMessageBatch's answer: every entry sent, but those whose index `failing` names. */
  const batchAnswer =
    (failing: (n: number) => boolean) =>
    (req: Recorded): { status: number; body: unknown } => {
      const { Entries } = JSON.parse(req.body) as { Entries?: { Id: string; MessageBody: string }[] };
      if (!Entries) return sendMessageOk(req);
      const entries = Entries.map((e) => ({ ...e, fail: failing(Number(e.Id)) }));
      return {
        status: 200,
        body: {
          Successful: entries
            .filter((e) => !e.fail)
            .map((e) => ({ Id: e.Id, MessageId: `m-${e.Id}`, MD5OfMessageBody: md5(e.MessageBody) })),
          Failed: entries
            .filter((e) => e.fail)
            .map((e) => ({ Id: e.Id, SenderFault: false, Code: 'InternalError', Message: 'try again' })),
        },
      };
    };

  it('sends the jobs of a batch ten to a SendMessageBatch, in order, each an ingest job of the project', async () => {
    const { client, queueUrl, queue: q } = queue();
    answer = batchAnswer(() => false);
    const projectId = newId('project');
    const ids = Array.from({ length: 23 }, () => newId('document'));

    await q.enqueueMany(projectId, ids);
    client.destroy();

    expect(recorded.map((r) => r.headers['x-amz-target'])).toEqual(Array(3).fill('AmazonSQS.SendMessageBatch'));
    const calls = recorded.map(
      (r) => JSON.parse(r.body) as { QueueUrl: string; Entries: { Id: string; MessageBody: string }[] },
    );
    expect(calls.map((c) => c.Entries.length)).toEqual([10, 10, 3]);
    expect(calls.every((c) => c.QueueUrl === queueUrl)).toBe(true);
    const jobs = calls.flatMap((c) => c.Entries.map((e) => parseQueueMessage(e.MessageBody)));
    expect(jobs).toEqual(ids.map((document_id) => ({ type: 'ingest', project_id: projectId, document_id })));
    // entry ids are unique within a call, as SQS requires
    for (const c of calls) expect(new Set(c.Entries.map((e) => e.Id)).size).toBe(c.Entries.length);
  });

  it('sends an entry SQS reports failed again on its own', async () => {
    const { client, queue: q } = queue();
    answer = batchAnswer((n) => n === 1);
    const projectId = newId('project');
    const ids = [newId('document'), newId('document'), newId('document')];

    await q.enqueueMany(projectId, ids);
    client.destroy();

    expect(recorded.map((r) => r.headers['x-amz-target'])).toEqual([
      'AmazonSQS.SendMessageBatch',
      'AmazonSQS.SendMessage',
    ]);
    expect(parseQueueMessage(JSON.parse(recorded[1].body).MessageBody)).toEqual({
      type: 'ingest',
      project_id: projectId,
      document_id: ids[1],
    });
  });

  it('sends one SendMessage in AWS JSON 1.0 naming the queue and the ingest job', async () => {
    const { client, queueUrl, queue: q } = queue();
    const projectId = newId('project');
    const documentId = newId('document');

    await q.enqueue(projectId, documentId);
    client.destroy();

    expect(recorded).toHaveLength(1);
    const [req] = recorded;
    expect(req.method).toBe('POST');
    expect(req.headers['x-amz-target']).toBe('AmazonSQS.SendMessage');
    expect(req.headers['content-type']).toBe('application/x-amz-json-1.0');
    expect(req.headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=local\/\d{8}\/us-east-1\/sqs\/aws4_request/,
    );
    const sent = JSON.parse(req.body);
    expect(sent.QueueUrl).toBe(queueUrl);
    expect(JSON.parse(sent.MessageBody)).toEqual({ type: 'ingest', project_id: projectId, document_id: documentId });
    expect(parseQueueMessage(sent.MessageBody)).toEqual({
      type: 'ingest',
      project_id: projectId,
      document_id: documentId,
    });
  });

  it('fails when SQS refuses the message', async () => {
    answer = () => ({
      status: 400,
      headers: { 'x-amzn-query-error': 'AWS.SimpleQueueService.NonExistentQueue;Sender' },
      body: { __type: 'com.amazonaws.sqs#QueueDoesNotExist', message: 'The specified queue does not exist.' },
    });
    const { client, queue: q } = queue();

    await expect(q.enqueue(newId('project'), newId('document'))).rejects.toThrow(/queue does not exist/i);
    client.destroy();
  });

  it('fails when the acknowledged body digest does not match what was sent', async () => {
    answer = () => ({ status: 200, body: { MD5OfMessageBody: md5('something else'), MessageId: 'x' } });
    const { client, queue: q } = queue();

    await expect(q.enqueue(newId('project'), newId('document'))).rejects.toThrow(/checksum/i);
    client.destroy();
  });
});

/** An S3 event notification as S3 delivers it to SQS (the documented structure, version 2.1). */
function s3Event(records: { eventName: string; key: string; bucket?: string; size?: number }[]) {
  return JSON.stringify({
    Records: records.map((r) => ({
      eventVersion: '2.1',
      eventSource: 'aws:s3',
      awsRegion: 'us-east-1',
      eventTime: '2025-01-15T10:30:00.000Z',
      eventName: r.eventName,
      userIdentity: { principalId: 'AWS:AIDAEXAMPLE' },
      requestParameters: { sourceIPAddress: '203.0.113.7' },
      responseElements: {
        'x-amz-request-id': 'C3D13FE58DE4C810',
        'x-amz-id-2': 'FMyUVURIY8/IgAtTv8xRjskZQpcIZ9KG4V5Wp6S7S/JRWeUWerMUE5JgHvANOjpD',
      },
      s3: {
        s3SchemaVersion: '1.0',
        configurationId: 'oprag-ingest',
        bucket: {
          name: r.bucket ?? 'oprag-ingest',
          ownerIdentity: { principalId: 'A3NL1KOZZKExample' },
          arn: 'arn:aws:s3:::oprag-ingest',
        },
        object: {
          key: r.key,
          size: r.size ?? 1024,
          eTag: 'd41d8cd98f00b204e9800998ecf8427e',
          sequencer: '0055AED6DCD90281E5',
        },
      },
    })),
  });
}

describe('parseQueueMessage', () => {
  const p = newId('project');

  it('reads the created objects of an S3 notification, keys decoded (+ is a space, %2B a plus)', () => {
    const body = s3Event([
      { eventName: 'ObjectCreated:Put', key: `drop/${p}/refund+policy+%282025%29.pdf`, size: 2048 },
      { eventName: 'ObjectCreated:CompleteMultipartUpload', key: `drop/${p}/a%2Bb%C3%A9.md` },
    ]);

    expect(parseQueueMessage(body)).toEqual({
      type: 's3',
      objects: [
        {
          bucket: 'oprag-ingest',
          key: `drop/${p}/refund policy (2025).pdf`,
          eventName: 'ObjectCreated:Put',
          size: 2048,
        },
        {
          bucket: 'oprag-ingest',
          key: `drop/${p}/a+bé.md`,
          eventName: 'ObjectCreated:CompleteMultipartUpload',
          size: 1024,
        },
      ],
    });
  });

  it('keeps ObjectCreated and ObjectRemoved records, with their event names, and no other', () => {
    const body = s3Event([
      { eventName: 'ObjectRemoved:Delete', key: `drop/${p}/old.txt` },
      { eventName: 'ObjectRestore:Completed', key: `drop/${p}/cold.txt` },
      { eventName: 'ObjectCreated:Copy', key: `drop/${p}/new.txt` },
    ]);

    const parsed = parseQueueMessage(body);

    expect(parsed.type === 's3' && parsed.objects.map((o) => [o.eventName, o.key])).toEqual([
      ['ObjectRemoved:Delete', `drop/${p}/old.txt`],
      ['ObjectCreated:Copy', `drop/${p}/new.txt`],
    ]);
  });

  it("recognises S3's test event", () => {
    const body = JSON.stringify({
      Service: 'Amazon S3',
      Event: 's3:TestEvent',
      Time: '2025-01-15T10:30:00.000Z',
      Bucket: 'oprag-ingest',
      RequestId: '5582815E1AEA5ADF',
      HostId: '8cLeGAmw098X5cv4Zkwcmo8vvZa3eH3eKxsPzbB9wrR+YstdA6Knx4Ip8EXAMPLE',
    });

    expect(parseQueueMessage(body)).toEqual({ type: 'test' });
  });

  it('calls anything else invalid, without throwing', () => {
    const garbage = [
      '',
      'not json',
      'null',
      '42',
      '[]',
      '{}',
      '{"Records":[]}',
      '{"Records":"x"}',
      '{"Records":[{"eventSource":"aws:sqs"}]}',
      JSON.stringify({ Records: [{ eventSource: 'aws:s3', eventName: 'ObjectCreated:Put', s3: { bucket: {} } }] }),
      s3Event([{ eventName: 'ObjectCreated:Put', key: `drop/${p}/bad%E0%A4%A.txt` }]),
      '{"type":"ingest"}',
      JSON.stringify({ type: 'ingest', project_id: '../x', document_id: newId('document') }),
      JSON.stringify({ type: 'ingest', project_id: p, document_id: 'doc_bad' }),
      JSON.stringify({ type: 'purge', project_id: p }),
    ];
    for (const body of garbage) {
      const parsed = parseQueueMessage(body);
      expect(parsed.type).toBe('invalid');
      expect(parsed.type === 'invalid' && parsed.reason.length).toBeGreaterThan(0);
    }
  });
});
