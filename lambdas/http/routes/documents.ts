import { Invalid, type OpragError, UnsupportedMedia } from '../../core/errors';
import { type BatchItemOutcome, type DocumentInput, publicDocument } from '../../service/documents';
import { formMetadata, formTags, parseMultipart } from '../multipart';
import { created, ok } from '../reply';
import { declared } from '../route-table';
import { schemas } from '../schemas';
import type { Route, RouteRequest } from '../types';
import { jsonBody, validate } from '../validate';

/** A document from a JSON body or a multipart form, as the ingest use case takes it. */
async function documentInput(r: RouteRequest): Promise<DocumentInput> {
  const type = (r.headers['content-type'] ?? '').toLowerCase();
  if (type.startsWith('multipart/form-data')) {
    const form = await parseMultipart(r.body, r.headers['content-type'] ?? '');
    if (!form.file) throw new Invalid('the form needs a file part named "file"');
    const fields = validate(schemas.documentFields, {
      ...form.fields,
      tags: formTags(form.fields.tags),
      metadata: formMetadata(form.fields.metadata),
    });
    return {
      ...fields,
      bytes: form.file.bytes,
      filename: fields.filename ?? form.file.filename,
      content_type: fields.content_type ?? form.file.contentType,
    };
  }
  if (type && !type.startsWith('application/json')) {
    throw new UnsupportedMedia('send documents as application/json or multipart/form-data');
  }
  return jsonDocument(jsonBody(r.body));
}

/** A JSON document's bytes: its text as UTF-8, or its base64 decoded. */
function jsonDocument(body: unknown): DocumentInput {
  const { text, content_base64, ...fields } = validate(schemas.documentJson, body);
  const bytes = text !== undefined ? Buffer.from(text, 'utf8') : Buffer.from(content_base64 ?? '', 'base64');
  // without a declared type, the bytes decide (plain text, Markdown or HTML)
  return { ...fields, bytes };
}

/** The items of a batch body, each a document or the error that refuses it alone. */
function batchInput(r: RouteRequest): (DocumentInput | OpragError)[] {
  const type = (r.headers['content-type'] ?? '').toLowerCase();
  if (type && !type.startsWith('application/json')) throw new UnsupportedMedia('send a batch as application/json');
  const { documents } = validate(schemas.documentBatchEnvelope, jsonBody(r.body));
  return documents.map((item, i) => {
    try {
      return jsonDocument(item);
    } catch (e) {
      if (!(e instanceof Invalid)) throw e;
      return new Invalid(`documents.${i}: ${e.message}`);
    }
  });
}

/** An item of a batch's answer: its document as a single POST would answer it, or its error. */
function batchItem(o: BatchItemOutcome) {
  if (o.kind === 'refused') return { error: { type: o.error.type, message: o.error.message } };
  return { document: publicDocument(o.document), ...(o.kind === 'unchanged' ? { unchanged: true } : {}) };
}

const documentStatus = { accepted: 202, ready: 201, unchanged: 200 } as const;

/** `?wait=true` (or `1`) on an ingest: answer once processed. */
const waits = (query: Record<string, string | undefined>) => query.wait === 'true' || query.wait === '1';

export const documentRoutes: Route[] = [
  {
    ...declared('documents.create'),
    handle: async (r) => {
      const wait = waits(r.query);
      const out = await r.services.documents.createDocument(
        r.project('documents.write'),
        await documentInput(r),
        wait,
        r.remainingMs,
      );
      return {
        status: documentStatus[out.kind],
        json: { document: publicDocument(out.document), ...(out.kind === 'unchanged' ? { unchanged: true } : {}) },
      };
    },
  },
  {
    ...declared('documents.create_batch'),
    handle: async (r) => {
      const access = r.project('documents.write');
      const wait = waits(r.query);
      const outcomes = await r.services.documents.createDocuments(access, batchInput(r), wait, r.remainingMs);
      const accepted = outcomes.filter((o) => o.kind !== 'refused').length;
      // with `wait`: 200 once every item taken in has settled, else 202 with them as they stand
      const settled = outcomes.every(
        (o) => o.kind !== 'accepted' || o.document.status === 'ready' || o.document.status === 'failed',
      );
      return {
        status: wait && settled ? 200 : 202,
        json: { documents: outcomes.map(batchItem) },
        audit: { documents: outcomes.length, accepted },
      };
    },
  },
  {
    ...declared('documents.list'),
    handle: async (r) =>
      ok(
        await r.services.documents.listDocuments(r.project('documents.read'), validate(schemas.documentQuery, r.query)),
      ),
  },
  {
    ...declared('documents.get'),
    handle: async (r) => ok(await r.services.documents.getDocument(r.project('documents.read'), r.params.document_id)),
  },
  {
    ...declared('documents.update'),
    handle: async (r) => {
      const patch = validate(schemas.documentPatch, jsonBody(r.body));
      const out = await r.services.documents.updateDocument(r.project('documents.write'), r.params.document_id, patch);
      return { ...ok(out), audit: { fields: Object.keys(patch).sort() } };
    },
  },
  {
    ...declared('documents.content'),
    handle: async (r) => {
      const c = await r.services.documents.getContent(r.project('documents.read'), r.params.document_id);
      // on AWS a short-lived link to S3: a file of up to 100 MB never passes through the function
      if ('redirect' in c)
        return { status: 302, json: {}, headers: { location: c.redirect, 'cache-control': 'no-store' } };
      const headers: Record<string, string> = {};
      if (c.filename) headers['content-disposition'] = `inline; filename*=UTF-8''${encodeURIComponent(c.filename)}`;
      return { status: 200, raw: { body: c.bytes, contentType: c.contentType }, headers };
    },
  },
  {
    ...declared('documents.delete'),
    handle: async (r) =>
      ok(await r.services.documents.deleteDocument(r.project('documents.write'), r.params.document_id)),
  },
  {
    ...declared('uploads.create'),
    handle: async (r) =>
      created(
        await r.services.documents.createUpload(
          r.project('documents.write'),
          validate(schemas.upload, jsonBody(r.body)),
          r.baseUrl,
        ),
      ),
  },
  {
    ...declared('uploads.complete'),
    handle: async (r) => {
      const out = await r.services.documents.completeUpload(r.params.token, r.body);
      return { status: 200, json: { document: out.document } };
    },
  },
];
