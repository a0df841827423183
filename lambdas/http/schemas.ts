import { z } from 'zod';
import { DOCUMENT_STATUSES } from '../core/model';
import { ROLES, SCOPES } from '../core/scopes';

const text = (field: string, max: number) =>
  z
    .string({ message: `${field} must be a string` })
    .trim()
    .min(1, `${field} must be 1 to ${max} characters`)
    .max(max, `${field} must be 1 to ${max} characters`);
const optionalText = (field: string, max: number) => z.string().max(max, `${field} must be at most ${max} characters`);
const limitNumber = z.number().int().min(0).nullable().optional();
/** An ISO 8601 time with any offset, stored and answered in UTC (API.md: times are UTC strings). */
const isoTime = z
  .string()
  .datetime({ offset: true, message: 'must be an ISO 8601 time' })
  .transform((t) => new Date(t).toISOString());
const environment = z.enum(['production', 'staging'], { message: 'environment must be production or staging' });

export const tags = z.array(z.string().min(1).max(100)).max(50, 'at most 50 tags');
/** Serialized size of metadata; nesting too deep to serialize counts as too big. */
function jsonLength(value: unknown): number {
  try {
    return JSON.stringify(value).length;
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}
const metadata = z
  .record(z.string(), z.unknown())
  .refine((m) => jsonLength(m) <= 16_384, 'metadata must be at most 16 KB of JSON');
const filter = z.object({ document_ids: z.array(z.string()).max(100).optional(), tags: tags.optional() }).optional();

export const pageQuery = z.object({
  limit: z.coerce.number().int().min(1, 'limit must be 1 to 200').max(200, 'limit must be 1 to 200').optional(),
  cursor: z.string().max(200).optional(),
});

/**
 * A document's `url`: the vendor's doc-viewer link, returned in every citation and rendered as a
 * link by the dashboard and, likely, by the vendor's UI. Paths, http(s) and app schemes are taken;
 * schemes that run code or read local files are refused (as a browser reads the scheme: with
 * whitespace and control characters ignored).
 */
const documentUrl = optionalText('url', 2048).refine(
  (u) => !/^(javascript|data|vbscript|file):/i.test([...u].filter((c) => c > ' ' && c !== '\x7f').join('')),
  'url may not use the javascript:, data:, vbscript: or file: scheme',
);

/** What describes a document, however its bytes arrive (JSON body or multipart form fields). */
const documentFields = z.object({
  filename: optionalText('filename', 255).optional(),
  content_type: optionalText('content_type', 200).optional(),
  title: optionalText('title', 500).optional(),
  url: documentUrl.optional(),
  external_id: text('external_id', 1024).optional(),
  tags: tags.optional(),
  metadata: metadata.optional(),
});

/** The most documents one batch request carries. */
export const MAX_BATCH_DOCUMENTS = 1000;

export const schemas = {
  companyKey: z.object({
    name: text('name', 200),
    role: z.enum(ROLES, { message: 'role must be admin or viewer' }),
  }),
  createProject: z.object({
    name: text('name', 200),
    external_ref: optionalText('external_ref', 200).nullable().optional(),
    environment: environment.optional(),
  }),
  patchProject: z.object({
    name: text('name', 200).optional(),
    external_ref: optionalText('external_ref', 200).nullable().optional(),
    limits: z
      .object({
        chat_per_minute: limitNumber,
        ingest_per_minute: limitNumber,
        max_documents: limitNumber,
        max_bytes: limitNumber,
        max_golden_questions: limitNumber,
      })
      .strict()
      .optional(),
    webhook_url: z
      .string()
      .url('webhook_url must be an http(s) URL')
      .refine((u) => /^https?:\/\//i.test(u), 'webhook_url must be an http(s) URL')
      .nullable()
      .optional(),
    rotate_webhook_secret: z.boolean({ message: 'rotate_webhook_secret must be true or false' }).optional(),
  }),
  auditQuery: pageQuery.extend({
    action: z.string().max(100).optional(),
    key_id: z.string().max(100).optional(),
    outcome: z.enum(['success', 'denied', 'failed'], { message: 'outcome is success, denied or failed' }).optional(),
    from: isoTime.optional(),
    to: isoTime.optional(),
  }),
  usageQuery: z.object({ from: z.string().optional(), to: z.string().optional() }),
  projectKey: z.object({
    name: optionalText('name', 200).optional(),
    scopes: z
      .array(z.enum(SCOPES, { message: 'scopes are query, ingest and review' }))
      .min(1, 'scopes must name at least one scope')
      .optional(),
    environment: environment.optional(),
    expires_at: isoTime.optional(),
  }),
  documentJson: documentFields
    .extend({
      text: z.string().optional(),
      content_base64: z
        .string()
        .regex(/^[A-Za-z0-9+/=\s_-]*$/, 'content_base64 must be base64')
        .optional(),
    })
    .refine((d) => (d.text === undefined) !== (d.content_base64 === undefined), {
      message: 'send exactly one of text or content_base64',
    }),
  documentFields,
  /** The envelope of a batch of documents: each item is read on its own (documentJson), failing alone. */
  documentBatchEnvelope: z.object({
    documents: z
      .array(z.unknown(), { message: 'documents must be an array' })
      .min(1, 'documents must hold at least one document')
      .max(MAX_BATCH_DOCUMENTS, `documents may hold at most ${MAX_BATCH_DOCUMENTS} documents`),
  }),
  /** What a document's PATCH may change: what citations show and filters match, and its metadata. */
  documentPatch: z
    .object({
      title: text('title', 500).optional(),
      url: documentUrl.nullable().optional(),
      tags: tags.optional(),
      metadata: metadata.optional(),
    })
    .strict()
    .refine((p) => Object.values(p).some((v) => v !== undefined), {
      message: 'send at least one of title, url, tags or metadata',
    }),
  documentQuery: pageQuery.extend({
    status: z.enum(DOCUMENT_STATUSES, { message: 'status must be queued, processing, ready or failed' }).optional(),
  }),
  upload: z.object({
    filename: text('filename', 255),
    content_type: text('content_type', 200),
    title: optionalText('title', 500).optional(),
    url: documentUrl.optional(),
    external_id: text('external_id', 1024).optional(),
    tags: tags.optional(),
    // past the home's upload cap is a 413 from the use case, not a 400 from here
    size: z
      .number({ message: 'size must be a number of bytes' })
      .int('size must be a whole number of bytes')
      .min(1, 'size must be at least 1 byte')
      .describe(
        "the file's exact length in bytes, at most 104857600 (100 MB; 413 past it): the URL then takes exactly that many bytes (on AWS it signs content-length)",
      )
      .optional(),
  }),
  retrieve: z.object({
    query: text('query', 4000),
    top_k: z.number().int().min(1, 'top_k must be 1 to 100').max(100, 'top_k must be 1 to 100').optional(),
    filter,
  }),
  chat: z
    .object({
      question: text('question', 4000).optional(),
      messages: z
        .array(z.object({ role: z.enum(['user', 'assistant']), content: text('content', 4000) }))
        .min(1)
        .max(50)
        .optional(),
      top_k: z.number().int().min(1, 'top_k must be 1 to 100').max(100, 'top_k must be 1 to 100').optional(),
      filter,
      stream: z.boolean().optional(),
    })
    .refine((c) => c.question !== undefined || c.messages !== undefined, {
      message: 'send a question or messages',
    }),
  goldenCreate: z.object({
    question: text('question', 4000),
    expected_answer: optionalText('expected_answer', 4000).nullable().optional(),
    expected_document_ids: z.array(z.string()).max(50).optional(),
    must_refuse: z.boolean().optional(),
    approved: z.boolean().optional(),
  }),
  goldenPatch: z.object({
    question: text('question', 4000).optional(),
    expected_answer: optionalText('expected_answer', 4000).nullable().optional(),
    expected_document_ids: z.array(z.string()).max(50).optional(),
    must_refuse: z.boolean().optional(),
    approved: z.boolean().optional(),
  }),
  goldenRun: z.object({ include_drafts: z.boolean().optional() }).strict(),
  exportCreate: z.object({
    originals: z
      .enum(['true', 'false'], { message: 'originals must be true or false' })
      .optional()
      .transform((v) => v === 'true'),
  }),
};

/** A message content as OpenAI's clients send it: a string, or parts of which the text ones count. */
const completionContent = z
  .union([
    z.string(),
    z.array(z.object({ type: z.string(), text: z.string().optional() }).passthrough(), {
      message: 'content must be a string or an array of parts',
    }),
  ])
  .nullable()
  .optional();

/**
 * OpenAI's Chat Completions request: `model` is echoed, `messages` carry the question (the last
 * user message), `stream` picks the chunked answer; the model's other settings (temperature,
 * max_tokens, tools...) are accepted and have no effect.
 */
export const chatCompletions = z
  .object({
    model: z.string().max(200, 'model must be at most 200 characters').optional(),
    messages: z
      .array(z.object({ role: z.string().max(50), content: completionContent }).passthrough(), {
        message: 'messages must be an array',
      })
      .min(1, 'messages must hold 1 to 50 messages')
      .max(50, 'messages must hold 1 to 50 messages'),
    stream: z.boolean().nullable().optional(),
  })
  .passthrough();

/** A batch of documents as the OpenAPI document and the typed client describe it. */
export const documentBatch = z.object({
  documents: z.array(schemas.documentJson).min(1).max(MAX_BATCH_DOCUMENTS),
});
