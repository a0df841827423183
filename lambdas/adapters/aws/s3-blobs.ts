import {
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { isId } from '../../core/ids';
import type { BlobStore, ProjectBlobs } from '../../ports';

/** The same rule as the file-system home: `<folder>/<id>`, nothing that could climb out. */
const KEY = /^[a-z]+\/[a-z0-9_]+$/;

const isMissing = (e: unknown) => {
  const err = e as { name?: string; $metadata?: { httpStatusCode?: number } } | null;
  return err?.name === 'NoSuchKey' || err?.name === 'NotFound' || err?.$metadata?.httpStatusCode === 404;
};

/** The object's bytes and type; null when it is missing. */
/**
 * An object's bytes, type and metadata; null when it is missing. Past `maxBytes` (its
 * Content-Length, known before the body is read) the body is left unread: `oversized` says its size.
 */
async function getObject(client: S3Client, Bucket: string, Key: string, maxBytes = Number.POSITIVE_INFINITY) {
  try {
    const res = await client.send(new GetObjectCommand({ Bucket, Key }));
    const size = res.ContentLength ?? 0;
    if (size > maxBytes) {
      (res.Body as { destroy?: () => void } | undefined)?.destroy?.();
      return { bytes: Buffer.alloc(0), type: res.ContentType, metadata: res.Metadata, oversized: size };
    }
    return {
      bytes: Buffer.from((await res.Body?.transformToByteArray()) ?? new Uint8Array()),
      type: res.ContentType,
      metadata: res.Metadata,
    };
  } catch (e) {
    if (isMissing(e)) return null;
    throw e;
  }
}

/**
 * Blobs in S3 under `projects/<project_id>/<key>`, the content type kept as the object's ContentType;
 * files land (S3 drops, upload URLs) under `drop/` and `uploads/`.
 */
export class S3BlobStore implements BlobStore {
  constructor(private readonly opts: { client: S3Client; bucket: string }) {}

  forProject(projectId: string): ProjectBlobs {
    if (!isId('project', projectId)) throw new Error('invalid project id for blobs');
    return new S3ProjectBlobs(this.opts.client, this.opts.bucket, `projects/${projectId}/`);
  }

  /** `drop/<project_id>/…` or `uploads/<project_id>/…`: nothing else of the bucket */
  private landed(key: string) {
    const [area, projectId, rest] = key.split('/');
    if (!/^(drop|uploads)$/.test(area) || !isId('project', projectId) || !rest) throw new Error('not a landing key');
    return key;
  }

  async readLanded(key: string, opts: { maxBytes?: number } = {}) {
    const found = await getObject(this.opts.client, this.opts.bucket, this.landed(key), opts.maxBytes);
    if (!found) return null;
    const landed = { bytes: found.bytes, contentType: found.type ?? null, metadata: found.metadata ?? {} };
    return found.oversized === undefined ? landed : { ...landed, oversized: found.oversized };
  }

  async deleteLanded(key: string) {
    await this.opts.client.send(new DeleteObjectCommand({ Bucket: this.opts.bucket, Key: this.landed(key) }));
  }

  /** Everything under `drop/<project_id>/` and `uploads/<project_id>/`: a purged project leaves no file behind. */
  async purgeLanded(projectId: string) {
    if (!isId('project', projectId)) throw new Error('invalid project id for landed objects');
    let count = 0;
    for (const area of ['drop', 'uploads']) {
      count += await deletePrefix(this.opts.client, this.opts.bucket, `${area}/${projectId}/`);
    }
    return count;
  }
}

class S3ProjectBlobs implements ProjectBlobs {
  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
    private readonly prefix: string,
  ) {}

  private key(key: string): string {
    if (!KEY.test(key)) throw new Error(`invalid blob key ${key}`);
    return `${this.prefix}${key}`;
  }

  async put(key: string, bytes: Buffer, contentType: string) {
    await this.client.send(
      new PutObjectCommand({ Bucket: this.bucket, Key: this.key(key), Body: bytes, ContentType: contentType }),
    );
  }

  async get(key: string) {
    const found = await getObject(this.client, this.bucket, this.key(key));
    return found && { bytes: found.bytes, contentType: found.type ?? 'application/octet-stream' };
  }

  /** A presigned GET that names the file and its type in the response; null when there is no such object. */
  async downloadUrl(key: string, as: { filename: string | null; contentType: string; expiresInSeconds: number }) {
    const Key = this.key(key);
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key }));
    } catch (e) {
      if (isMissing(e)) return null;
      throw e;
    }
    const command = new GetObjectCommand({
      Bucket: this.bucket,
      Key,
      ResponseContentType: as.contentType,
      ...(as.filename
        ? { ResponseContentDisposition: `inline; filename*=UTF-8''${encodeURIComponent(as.filename)}` }
        : {}),
    });
    return getSignedUrl(this.client, command, { expiresIn: as.expiresInSeconds });
  }

  /** S3 deletes silently either way; a HEAD first says whether there was anything to delete. */
  async delete(key: string) {
    const Key = this.key(key);
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key }));
    } catch (e) {
      if (isMissing(e)) return false;
      throw e;
    }
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key }));
    return true;
  }

  async deleteAll() {
    return deletePrefix(this.client, this.bucket, this.prefix);
  }
}

/** Lists a prefix page by page (1000 keys at most) and deletes each page in one call; returns the count. */
async function deletePrefix(client: S3Client, Bucket: string, Prefix: string): Promise<number> {
  let count = 0;
  let token: string | undefined;
  do {
    const page = await client.send(new ListObjectsV2Command({ Bucket, Prefix, ContinuationToken: token }));
    const keys = (page.Contents ?? []).flatMap((o) => (o.Key ? [{ Key: o.Key }] : []));
    for (let i = 0; i < keys.length; i += 1000) {
      const batch = keys.slice(i, i + 1000);
      const res = await client.send(new DeleteObjectsCommand({ Bucket, Delete: { Objects: batch, Quiet: true } }));
      if (res.Errors?.length) {
        const first = res.Errors[0];
        throw new Error(`could not delete ${res.Errors.length} objects (${first.Key}: ${first.Code})`);
      }
      count += batch.length;
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return count;
}
