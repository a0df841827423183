import { Invalid, OpragError, TooLarge } from '../../core/errors';
import { detectContentType } from '../../core/formats/detect';
import type { DocumentRecord, ProjectRecord } from '../../core/model';
import type { Context } from '../context';
import { quotaRefusal, rateSlots } from '../limits';
import { contentHash, documentRecord, keepTextOfReplaced } from './accept';
import { type DocumentInput, originalKey } from './model';

/** What became of one item of a batch: accepted (queued), left alone, or refused on its own. */
export type BatchItemOutcome =
  | { kind: 'accepted'; document: DocumentRecord }
  | { kind: 'unchanged'; document: DocumentRecord }
  | { kind: 'refused'; error: OpragError };

/** An item read so far: its bytes typed and hashed, and the document its external id holds. */
interface Candidate {
  at: number;
  input: DocumentInput;
  type: string;
  hash: string;
  existing: DocumentRecord | null;
}

/** Stores run side by side, but no more than this many at once. */
const PARALLEL = 16;

async function eachLimited<T>(items: T[], work: (item: T) => Promise<unknown>) {
  let next = 0;
  const lanes = Array.from({ length: Math.min(PARALLEL, items.length) }, async () => {
    while (next < items.length) await work(items[next++]);
  });
  await Promise.all(lanes);
}

/**
 * Step 1 of ingestion for a batch of documents of one project (the batch route): the same
 * checks as `accept`, item by item and in the batch's order — a refused item fails alone — with
 * the store's work done once for the batch: the rate counted for all its items in one write, the
 * quota totals read once and carried through the batch, the originals stored a few at a time and
 * the records written in one transaction where the store can. An item the route could not read
 * comes in as its error and is passed through.
 */
export async function acceptBatch(
  ctx: Context,
  project: ProjectRecord,
  items: (DocumentInput | OpragError)[],
): Promise<BatchItemOutcome[]> {
  const out: (BatchItemOutcome | null)[] = items.map((item) =>
    item instanceof OpragError ? { kind: 'refused', error: item } : null,
  );
  const refuse = (at: number, error: OpragError) => {
    out[at] = { kind: 'refused', error };
  };

  // every readable item counts against the per-minute limit, like a single POST; the ones past it are refused
  const readable = items.flatMap((item, at) => (item instanceof OpragError ? [] : [{ at, input: item }]));
  const { allowed, refusal } = await rateSlots(ctx, project, 'ingest', readable.length);
  for (const { at } of readable.slice(allowed)) refuse(at, refusal as OpragError);

  const seen = new Set<string>();
  const read: Omit<Candidate, 'existing'>[] = [];
  for (const { at, input } of readable.slice(0, allowed)) {
    try {
      if (input.bytes.length > ctx.settings.maxBodyBytes) {
        throw new TooLarge(`a document may be at most ${ctx.settings.maxBodyBytes / 2 ** 20} MB`);
      }
      if (input.bytes.length === 0) throw new Invalid('the document is empty');
      if (input.external_id) {
        if (seen.has(input.external_id)) throw new Invalid('the same external_id appears earlier in this batch');
        seen.add(input.external_id);
      }
      const type = detectContentType(input.bytes, input.content_type, input.filename);
      read.push({ at, input, type, hash: contentHash(input.bytes) });
    } catch (e) {
      if (!(e instanceof OpragError)) throw e;
      refuse(at, e);
    }
  }

  const records = ctx.store.forProject(project.id);
  const candidates: Candidate[] = read.map((c) => ({ ...c, existing: null }));
  // the documents the items' external ids hold: in one read where the store can
  const named = candidates.filter((c) => c.input.external_id);
  if (records.findDocumentsByExternalIds) {
    const held = await records.findDocumentsByExternalIds(named.map((c) => c.input.external_id as string));
    named.forEach((c, i) => {
      c.existing = held[i];
    });
  } else {
    await eachLimited(named, async (c) => {
      c.existing = await records.findDocumentByExternalId(c.input.external_id as string);
    });
  }

  const { max_documents, max_bytes } = project.limits;
  const totals = max_documents || max_bytes ? await records.documentTotals() : { documents: 0, bytes: 0 };
  const now = ctx.iso();
  const docs: { doc: DocumentRecord; bytes: Buffer; replaces: boolean }[] = [];
  for (const c of candidates) {
    const { existing } = c;
    if (existing && existing.content_hash === c.hash && existing.status !== 'failed') {
      out[c.at] = { kind: 'unchanged', document: existing };
      continue;
    }
    const addDocuments = existing ? 0 : 1;
    const addBytes = c.input.bytes.length - (existing?.bytes ?? 0);
    const refusal = quotaRefusal(project.limits, totals, addDocuments, addBytes);
    if (refusal) {
      refuse(c.at, refusal);
      continue;
    }
    totals.documents += addDocuments;
    totals.bytes += addBytes;
    const doc = batchRecord(c, now);
    docs.push({ doc, bytes: c.input.bytes, replaces: existing !== null });
    out[c.at] = { kind: 'accepted', document: doc };
  }

  const blobs = ctx.blobs.forProject(project.id);
  await eachLimited(docs, async ({ doc, bytes, replaces }) => {
    if (replaces) await keepTextOfReplaced(blobs, doc.id);
    await blobs.put(originalKey(doc.id), bytes, doc.content_type, { readSoon: true });
  });
  // in one transaction where the store can (the embedded home), else a few at a time
  if (records.putDocuments) await records.putDocuments(docs.map((d) => d.doc));
  else await eachLimited(docs, ({ doc }) => records.putDocument(doc));
  return out as BatchItemOutcome[];
}

/** The queued record of an accepted item, under the id of the document it replaces or a new one. */
const batchRecord = ({ input, type, hash, existing }: Candidate, now: string): DocumentRecord =>
  documentRecord(
    input,
    { existing, now, hash },
    { content_type: type, status: 'queued', error: null, chunks: existing?.chunks ?? 0 },
  );
