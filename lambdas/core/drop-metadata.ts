/**
 * What describes a file dropped outside the API (API.md, "Ingestion paths"): a sidecar
 * `<file>.oprag.json` beside it locally, or the object's `x-amz-meta-oprag-*` metadata on S3.
 * The same limits as the API's document fields apply; a value that breaks them is not used.
 */
export interface DropFields {
  title?: string;
  url?: string;
  tags?: string[];
  metadata?: Record<string, unknown>;
}

/** The sidecar of a dropped file: its name, and whether a name is one (sidecars are not documents). */
export const SIDECAR_SUFFIX = '.oprag.json';
export const isSidecar = (name: string) => name.endsWith(SIDECAR_SUFFIX);

/** Schemes a browser runs or reads local files with, as it reads a URL: ignoring whitespace and controls. */
export function unsafeDocumentUrl(url: string): boolean {
  return /^(javascript|data|vbscript|file):/i.test([...url].filter((c) => c > ' ' && c !== '\x7f').join(''));
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function jsonLength(value: unknown): number {
  try {
    return JSON.stringify(value).length;
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}

/** The fields, or why they cannot be used (a message naming the first bad one). */
export function checkDropFields(raw: unknown): { fields: DropFields } | { problem: string } {
  if (!isObject(raw)) return { problem: 'must be a JSON object' };
  const fields: DropFields = {};
  const { title, url, tags, metadata } = raw;
  if (title !== undefined) {
    if (typeof title !== 'string' || title.length > 500)
      return { problem: 'title must be a string of at most 500 characters' };
    fields.title = title;
  }
  if (url !== undefined) {
    if (typeof url !== 'string' || url.length > 2048)
      return { problem: 'url must be a string of at most 2048 characters' };
    if (unsafeDocumentUrl(url)) return { problem: 'url may not use the javascript:, data:, vbscript: or file: scheme' };
    fields.url = url;
  }
  if (tags !== undefined) {
    const ok =
      Array.isArray(tags) &&
      tags.length <= 50 &&
      tags.every((t) => typeof t === 'string' && t.length >= 1 && t.length <= 100);
    if (!ok) return { problem: 'tags must be at most 50 strings of 1 to 100 characters' };
    fields.tags = tags as string[];
  }
  if (metadata !== undefined) {
    if (!isObject(metadata) || jsonLength(metadata) > 16_384) {
      return { problem: 'metadata must be an object of at most 16 KB of JSON' };
    }
    fields.metadata = metadata;
  }
  return { fields };
}

/** A sidecar's bytes: JSON `{title?, url?, tags?, metadata?}`. */
export function parseSidecar(bytes: Buffer): { fields: DropFields } | { problem: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(bytes.toString('utf8'));
  } catch {
    return { problem: 'is not valid JSON' };
  }
  return checkDropFields(raw);
}

/**
 * S3 user metadata as the SDK returns it (names lower-cased, without `x-amz-meta-`): `oprag-title`,
 * `oprag-url`, and `oprag-tags`, a comma-separated list. Values are taken as S3 keeps them (S3
 * metadata travels in HTTP headers, so non-ASCII text arrives as its writer encoded it).
 */
export function s3MetadataFields(
  meta: Record<string, string> | undefined,
): { fields: DropFields } | { problem: string } {
  if (!meta) return { fields: {} };
  const raw: Record<string, unknown> = {};
  if (meta['oprag-title'] !== undefined) raw.title = meta['oprag-title'];
  if (meta['oprag-url'] !== undefined) raw.url = meta['oprag-url'];
  if (meta['oprag-tags'] !== undefined) {
    raw.tags = meta['oprag-tags']
      .split(',')
      .map((t) => t.trim())
      .filter((t) => t.length > 0);
  }
  return checkDropFields(raw);
}
