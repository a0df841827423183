import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { isId } from '../../core/ids';
import type { UploadTarget } from '../../ports';

const MAX_PRESIGN_SECONDS = 7 * 24 * 3600;

/** Where the bytes of an upload land: the object key names the project and the upload. */
export const uploadKey = (projectId: string, uploadId: string) => `uploads/${projectId}/${uploadId}`;

/**
 * Since SDK 3.729 a client's default `requestChecksumCalculation` bakes the CRC32 of the empty
 * presign-time body into a presigned PutObject URL (`x-amz-checksum-crc32=AAAAAA==`), which fails
 * any real upload. The checksum headers are dropped before signing, whatever the client's setting.
 */
function dropChecksumHeaders(request: unknown) {
  const headers = (request as { headers?: Record<string, string> }).headers ?? {};
  for (const name of Object.keys(headers)) {
    const lower = name.toLowerCase();
    if (lower.startsWith('x-amz-checksum-') || lower === 'x-amz-sdk-checksum-algorithm') delete headers[name];
  }
}

/**
 * One-time upload URLs on AWS: an S3 presigned PUT; the S3 event of the landed object starts ingestion.
 * A presigned PUT can only hold a size it signs: given `size`, the URL signs `content-length`,
 * and S3 refuses a PUT of any other length (its signature no longer matches). Without it the
 * URL caps nothing, and the worker refuses an oversized object from its event's size.
 */
export class S3UploadTarget implements UploadTarget {
  constructor(private readonly opts: { client: S3Client; bucket: string }) {}

  async createUrl(input: { projectId: string; uploadId: string; contentType: string; size?: number; expiresAt: Date }) {
    if (!isId('project', input.projectId) || !isId('upload', input.uploadId)) {
      throw new Error('invalid project or upload id for an upload URL');
    }
    const command = new PutObjectCommand({
      Bucket: this.opts.bucket,
      Key: uploadKey(input.projectId, input.uploadId),
      ContentType: input.contentType,
      ContentLength: input.size,
    });
    command.middlewareStack.add(
      (next) => async (args) => {
        dropChecksumHeaders(args.request);
        return next(args);
      },
      { step: 'build', priority: 'low', name: 'opragPresignWithoutChecksum' },
    );
    const seconds = Math.ceil((input.expiresAt.getTime() - Date.now()) / 1000);
    const url = await getSignedUrl(this.opts.client, command, {
      expiresIn: Math.min(MAX_PRESIGN_SECONDS, Math.max(1, seconds)),
      // the content type (and length) are part of the signature: the client must send the headers we hand back
      signableHeaders: new Set(input.size === undefined ? ['content-type'] : ['content-type', 'content-length']),
    });
    const headers: Record<string, string> = { 'content-type': input.contentType };
    if (input.size !== undefined) headers['content-length'] = String(input.size);
    return { url, headers };
  }
}

/** `uploads/<project_id>/<upload_id>` → its ids; anything else → null. Takes the decoded object key. */
export function parseUploadKey(key: string): { projectId: string; uploadId: string } | null {
  const parts = key.split('/');
  if (parts.length !== 3 || parts[0] !== 'uploads') return null;
  const [, projectId, uploadId] = parts;
  return isId('project', projectId) && isId('upload', uploadId) ? { projectId, uploadId } : null;
}

const MAX_DROP_PATH = 1000;
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it rejects
const CONTROL = /[\u0000-\u001f\u007f]/;

function decodedOnce(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** A path segment that is, or would become once percent-decoded, a way out of its folder. */
function unsafeSegment(segment: string): boolean {
  const decoded = decodedOnce(segment);
  if (decoded.includes('/')) return true; // an encoded slash hides a separator
  return [segment, decoded].some((s) => s === '' || s === '.' || s === '..' || s.includes('\\') || CONTROL.test(s));
}

/**
 * `drop/<project_id>/<path>` → the project and the path inside its drop folder; anything else
 * → null. Takes the decoded object key (parseQueueMessage decodes S3's form). The path must be
 * relative and plain: no empty, `.` or `..` segments, no backslashes or control characters, and
 * no percent-encoded form of them either, so no later decoding can turn it into something else.
 */
export function parseDropKey(key: string): { projectId: string; path: string } | null {
  const match = /^drop\/([^/]+)\/(.+)$/s.exec(key);
  if (!match) return null;
  const [, projectId, path] = match;
  if (!isId('project', projectId) || path.length > MAX_DROP_PATH) return null;
  return path.split('/').some(unsafeSegment) ? null : { projectId, path };
}
