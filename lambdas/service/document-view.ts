import type { DocumentRecord } from '../core/model';

/** A document as the API shows it. */
export function publicDocument(d: DocumentRecord) {
  return {
    id: d.id,
    title: d.title,
    url: d.url,
    filename: d.filename,
    content_type: d.content_type,
    external_id: d.external_id,
    tags: d.tags,
    metadata: d.metadata,
    status: d.status,
    ...(d.error ? { error: d.error } : {}),
    chunks: d.chunks,
    bytes: d.bytes,
    content_hash: d.content_hash,
    created_at: d.created_at,
    updated_at: d.updated_at,
  };
}

/** A document as the API shows it. */
export type PublicDocument = ReturnType<typeof publicDocument>;
