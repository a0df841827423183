import { ExtractionError, OpragError } from '../../core/errors';
import type { DocumentRecord } from '../../core/model';
import type { ProjectRecords } from '../../ports';

export interface DocumentInput {
  bytes: Buffer;
  filename?: string | null;
  content_type?: string | null;
  title?: string | null;
  url?: string | null;
  external_id?: string | null;
  tags?: string[];
  metadata?: Record<string, unknown>;
}

export type IngestMode = 'queue' | 'wait' | 'inline';

export type IngestOutcome =
  | { kind: 'accepted'; document: DocumentRecord }
  | { kind: 'ready'; document: DocumentRecord }
  | { kind: 'unchanged'; document: DocumentRecord };

export const originalKey = (id: string) => `originals/${id}`;
export const textKey = (id: string) => `text/${id}`;

/** Why a document failed, in words fit for its record: ours, or a generic one for anything else. */
export const failureMessage = (e: unknown) =>
  e instanceof ExtractionError || e instanceof OpragError ? e.message : 'the document could not be processed';

/** Documents by id, in the order asked (null where none): in one read where the store can. */
export const readDocuments = (records: ProjectRecords, ids: string[]): Promise<(DocumentRecord | null)[]> =>
  records.getDocuments ? records.getDocuments(ids) : Promise.all(ids.map((id) => records.getDocument(id)));
