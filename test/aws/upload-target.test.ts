process.env.AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE = '1';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { parseDropKey, parseUploadKey, S3UploadTarget } from '../../lambdas/adapters/aws/s3-upload-target';
import { newId } from '../../lambdas/core/ids';
import { S3RVER_CREDENTIALS, type S3Server, s3Client, startS3rver } from './protocol-servers';
import { presignedRequestVerifies } from './sigv4-query';

const BYTES = Buffer.from([0x25, 0x50, 0x44, 0x46, 0x00, 0xff, 0x0a, 0x0d, 0x80, 0x7f]);

let s3rver: S3Server;
let client: S3Client;
const bucket = 'oprag-ingest';

beforeAll(async () => {
  s3rver = await startS3rver();
  client = s3Client(s3rver.endpoint);
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
});
afterAll(async () => {
  client?.destroy();
  await s3rver?.close();
});

const inMinutes = (m: number) => new Date(Date.now() + m * 60_000);
/** Every timer API jest can fake except Date: the signing reads the time, the I/O runs on real timers. */
const NOT_DATE = [
  'hrtime',
  'nextTick',
  'performance',
  'queueMicrotask',
  'requestAnimationFrame',
  'cancelAnimationFrame',
  'requestIdleCallback',
  'cancelIdleCallback',
  'setImmediate',
  'clearImmediate',
  'setInterval',
  'clearInterval',
  'setTimeout',
  'clearTimeout',
] as const;

function input(over: { expiresAt?: Date; contentType?: string; size?: number } = {}) {
  return {
    size: over.size,
    projectId: newId('project'),
    uploadId: newId('upload'),
    documentId: newId('document'),
    token: 'unused-on-aws',
    contentType: over.contentType ?? 'application/pdf',
    expiresAt: over.expiresAt ?? inMinutes(15),
    baseUrl: 'http://unused',
  };
}

describe('S3UploadTarget', () => {
  it('presigns a PUT that lands the bytes intact at uploads/<project>/<upload>', async () => {
    const req = input();
    const target = await new S3UploadTarget({ client, bucket }).createUrl(req);

    const res = await fetch(target.url, { method: 'PUT', headers: target.headers, body: BYTES });

    expect(res.status).toBe(200);
    expect(target.headers).toEqual({ 'content-type': 'application/pdf' });
    const landed = await client.send(
      new GetObjectCommand({ Bucket: bucket, Key: `uploads/${req.projectId}/${req.uploadId}` }),
    );
    expect(Buffer.from(await landed.Body!.transformToByteArray()).equals(BYTES)).toBe(true);
    expect(landed.ContentType).toBe('application/pdf');
    const listed = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `uploads/${req.projectId}/` }));
    expect(listed.Contents?.map((o) => o.Key)).toEqual([`uploads/${req.projectId}/${req.uploadId}`]);
  });

  it('signs the content type and expires the URL at expiresAt', async () => {
    const target = await new S3UploadTarget({ client, bucket }).createUrl(input({ expiresAt: inMinutes(10) }));

    const query = new URL(target.url).searchParams;

    expect(query.get('X-Amz-SignedHeaders')?.split(';')).toContain('content-type');
    expect(Number(query.get('X-Amz-Expires'))).toBeGreaterThanOrEqual(599);
    expect(Number(query.get('X-Amz-Expires'))).toBeLessThanOrEqual(600);
  });

  it('given a size, signs content-length and hands it back, so a PUT of any other length fails the signature', async () => {
    const target = await new S3UploadTarget({ client, bucket }).createUrl(input({ size: BYTES.length }));
    const query = new URL(target.url).searchParams;
    const secret = S3RVER_CREDENTIALS.secretAccessKey;

    const right = presignedRequestVerifies('PUT', target.url, target.headers, secret);
    const longer = presignedRequestVerifies(
      'PUT',
      target.url,
      { ...target.headers, 'content-length': String(BYTES.length + 1) },
      secret,
    );
    const shorter = presignedRequestVerifies('PUT', target.url, { ...target.headers, 'content-length': '1' }, secret);
    const huge = presignedRequestVerifies(
      'PUT',
      target.url,
      { ...target.headers, 'content-length': String(200 * 2 ** 20) },
      secret,
    );

    expect(query.get('X-Amz-SignedHeaders')?.split(';')).toEqual(
      expect.arrayContaining(['content-length', 'content-type', 'host']),
    );
    expect(target.headers).toEqual({ 'content-type': 'application/pdf', 'content-length': String(BYTES.length) });
    expect(right).toBe(true);
    expect(longer).toBe(false);
    expect(shorter).toBe(false);
    expect(huge).toBe(false);
    // s3rver checks no SigV4 signature; the bytes of the right length still land through it
    const res = await fetch(target.url, { method: 'PUT', headers: target.headers, body: BYTES });
    expect(res.status).toBe(200);
  });

  it('without a size, signs no content-length (the worker refuses an oversized object instead)', async () => {
    const target = await new S3UploadTarget({ client, bucket }).createUrl(input());

    const signed = new URL(target.url).searchParams.get('X-Amz-SignedHeaders')?.split(';');

    expect(signed).not.toContain('content-length');
    expect(target.headers).toEqual({ 'content-type': 'application/pdf' });
    expect(
      presignedRequestVerifies(
        'PUT',
        target.url,
        { ...target.headers, 'content-length': '99' },
        S3RVER_CREDENTIALS.secretAccessKey,
      ),
    ).toBe(true);
  });

  it('leaves the empty-body checksum out of the URL even with the default checksum setting', async () => {
    const defaults = s3Client(s3rver.endpoint, { requestChecksumCalculation: 'WHEN_SUPPORTED' });
    const req = input({ contentType: 'text/plain' });
    try {
      const target = await new S3UploadTarget({ client: defaults, bucket }).createUrl(req);

      const names = [...new URL(target.url).searchParams.keys()].map((k) => k.toLowerCase());
      const res = await fetch(target.url, { method: 'PUT', headers: target.headers, body: 'hello upload' });

      expect(names.filter((k) => k.includes('checksum'))).toEqual([]);
      expect(res.status).toBe(200);
      const landed = await client.send(
        new GetObjectCommand({ Bucket: bucket, Key: `uploads/${req.projectId}/${req.uploadId}` }),
      );
      expect(await landed.Body!.transformToString()).toBe('hello upload');
    } finally {
      defaults.destroy();
    }
  });

  it('refuses the PUT once the URL has expired', async () => {
    // signed an hour ago, valid for a second: only Date is faked, and only while it is signed
    const signedAt = Date.now() - 3600_000;
    const req = input({ expiresAt: new Date(signedAt + 1000) });
    jest.useFakeTimers({ now: signedAt, doNotFake: [...NOT_DATE] });
    let target: Awaited<ReturnType<S3UploadTarget['createUrl']>>;
    try {
      target = await new S3UploadTarget({ client, bucket }).createUrl(req);
    } finally {
      jest.useRealTimers();
    }
    expect(new URL(target.url).searchParams.get('X-Amz-Expires')).toBe('1');

    const res = await fetch(target.url, { method: 'PUT', headers: target.headers, body: BYTES });

    expect(res.status).toBe(403);
    expect(await res.text()).toContain('Request has expired');
    const listed = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `uploads/${req.projectId}/` }));
    expect(listed.Contents ?? []).toEqual([]);
  });

  it('refuses ids that are not a project and an upload', async () => {
    const target = new S3UploadTarget({ client, bucket });

    await expect(target.createUrl({ ...input(), projectId: '../prj' })).rejects.toThrow();
    await expect(target.createUrl({ ...input(), uploadId: 'upl_x/../../y' })).rejects.toThrow();
  });
});

describe('parseUploadKey', () => {
  const p = newId('project');
  const u = newId('upload');

  it('reads the project and upload of an upload object key', () => {
    expect(parseUploadKey(`uploads/${p}/${u}`)).toEqual({ projectId: p, uploadId: u });
  });

  it('rejects anything else', () => {
    for (const key of [
      `uploads/${p}`,
      `uploads/${p}/${u}/extra`,
      `uploads/${p}/${u}/`,
      `/uploads/${p}/${u}`,
      `drop/${p}/${u}`,
      `uploads/prj_bad/${u}`,
      `uploads/${p}/upl_bad`,
      `uploads/${u}/${p}`,
      `uploads/../${p}/${u}`,
      `uploads%2F${p}%2F${u}`,
      '',
    ]) {
      expect(parseUploadKey(key)).toBeNull();
    }
  });
});

describe('parseDropKey', () => {
  const p = newId('project');

  it('reads the project and the path inside its drop folder', () => {
    expect(parseDropKey(`drop/${p}/handbook.pdf`)).toEqual({ projectId: p, path: 'handbook.pdf' });
    expect(parseDropKey(`drop/${p}/policies/2025/refund policy (v2).md`)).toEqual({
      projectId: p,
      path: 'policies/2025/refund policy (v2).md',
    });
    expect(parseDropKey(`drop/${p}/50%25 off+more.txt`)).toEqual({ projectId: p, path: '50%25 off+more.txt' });
  });

  it('rejects keys outside a valid project folder', () => {
    for (const key of [
      'drop/../x',
      'drop/prj_bad/x',
      `drop/${p}`,
      `drop/${p}/`,
      `drops/${p}/x`,
      `uploads/${p}/x`,
      `/drop/${p}/x`,
      `drop/${p.toUpperCase()}/x`,
      `drop%2F${p}%2Fx`,
      `drop/${p}%2Fx`,
    ]) {
      expect(parseDropKey(key)).toBeNull();
    }
  });

  it('rejects paths that climb, hide separators or carry control characters, encoded or not', () => {
    for (const path of [
      '../x',
      'a/../../b',
      './x',
      'a//b',
      'a/',
      '%2e%2e/x',
      'a/%2E%2E/b',
      '..%2Fx',
      'a%2f..%2fb',
      'a\\..\\b',
      'a%5C..%5Cb',
      'line\nbreak.txt',
      'nul%00.txt',
      'x'.repeat(1001),
    ]) {
      expect(parseDropKey(`drop/${p}/${path}`)).toBeNull();
    }
  });
});
