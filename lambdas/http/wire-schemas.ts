/**
 * The API's answers as zod schemas: the one description that the wire types (wire.ts, by
 * `z.infer`), the OpenAPI document (openapi.ts) and the typed client (lambdas/client/oprag.ts)
 * share. Imports zod only, so the dashboard's browser build can `import type` what derives from it.
 * test/unit/wire-shapes.ts holds the use cases' answers to these shapes at compile time.
 */
import { z } from 'zod';

const time = z.string().describe('ISO 8601 UTC time');
const nullableTime = time.nullable();

export const role = z.enum(['admin', 'viewer']);
export const scope = z.enum(['query', 'ingest', 'review']);
export const environment = z.enum(['production', 'staging']);
export const documentStatus = z.enum(['queued', 'processing', 'ready', 'failed']);

/** Every error answer (API.md). */
export const errorBody = z.object({
  error: z.object({
    type: z.enum([
      'invalid_request',
      'unauthorized',
      'forbidden',
      'not_found',
      'conflict',
      'payload_too_large',
      'unsupported_media_type',
      'unprocessable',
      'rate_limited',
      'internal',
    ]),
    message: z.string(),
    request_id: z.string(),
  }),
});

export const company = z.object({ id: z.string(), name: z.string(), created_at: time });

export const apiKey = z.object({
  id: z.string(),
  name: z.string().nullable(),
  prefix: z.string(),
  scopes: z.array(scope),
  /** company keys only */
  role: role.nullable().optional(),
  environment: environment.nullable(),
  created_at: time,
  last_used_at: nullableTime,
  expires_at: nullableTime,
  revoked_at: nullableTime,
});

/** A key in the answer that creates it: the only time its secret is shown. */
export const newApiKey = apiKey.extend({ key: z.string() });

export const projectLimits = z.object({
  chat_per_minute: z.number().nullable().optional(),
  ingest_per_minute: z.number().nullable().optional(),
  max_documents: z.number().nullable().optional(),
  max_bytes: z.number().nullable().optional(),
  max_golden_questions: z.number().nullable().optional(),
});

export const projectStats = z.object({ documents: z.number(), chunks: z.number(), bytes: z.number() });

export const project = z.object({
  id: z.string(),
  name: z.string(),
  external_ref: z.string().nullable(),
  environment,
  created_at: time,
  updated_at: time,
  limits: projectLimits,
  webhook_url: z.string().nullable(),
  /** on a single project's answer */
  stats: projectStats.optional(),
});

export const projectPage = z.object({ projects: z.array(project), next_cursor: z.string().nullable() });

export const projectDeleted = z.object({
  deleted: z.object({
    project_id: z.string(),
    documents: z.number(),
    chunks: z.number(),
    keys: z.number(),
    blobs: z.number(),
  }),
});

export const projectCreated = z.object({
  project,
  api_key: apiKey.pick({ id: true, prefix: true, scopes: true, environment: true, created_at: true }).extend({
    key: z.string(),
  }),
});

const keyKind = z.enum(['company', 'project']);
export const me = z.object({
  /** a company key's role, or a project key's scopes and environment */
  key: z.union([
    z.object({ id: z.string(), kind: keyKind, prefix: z.string(), role, expires_at: nullableTime }),
    z.object({
      id: z.string(),
      kind: keyKind,
      prefix: z.string(),
      scopes: z.array(scope),
      environment: environment.nullable(),
      expires_at: nullableTime,
    }),
  ]),
  company: z.object({ id: z.string(), name: z.string() }),
  /** a project key's project */
  project: z.object({ id: z.string(), name: z.string() }).optional(),
});

export const documentView = z.object({
  id: z.string(),
  title: z.string().nullable(),
  url: z.string().nullable(),
  filename: z.string().nullable(),
  content_type: z.string(),
  external_id: z.string().nullable(),
  tags: z.array(z.string()),
  metadata: z.record(z.string(), z.unknown()),
  status: documentStatus,
  /** why a `failed` document failed */
  error: z.string().optional(),
  chunks: z.number(),
  bytes: z.number(),
  content_hash: z.string(),
  created_at: time,
  updated_at: time,
});

export const documentPage = z.object({ documents: z.array(documentView), next_cursor: z.string().nullable() });

export const documentAccepted = z.object({ document: documentView, unchanged: z.boolean().optional() });

/** One item of a batch's answer: its document as a single POST would answer it, or why it was refused. */
export const documentBatchItem = z.union([
  documentAccepted,
  z.object({ error: errorBody.shape.error.pick({ type: true, message: true }) }),
]);

export const documentBatchAccepted = z.object({ documents: z.array(documentBatchItem) });

export const documentDeleted = z.object({ deleted: z.object({ document_id: z.string(), chunks: z.number() }) });

/** A one-time upload URL for a file too large for a request body. */
export const uploadCreated = z.object({
  upload: z.object({
    url: z.string(),
    /** PUT */
    method: z.string(),
    headers: z.record(z.string(), z.string()),
    expires_at: time,
    document_id: z.string(),
  }),
});

export const citation = z.object({
  index: z.number(),
  document_id: z.string(),
  chunk_id: z.string(),
  title: z.string().nullable(),
  url: z.string().nullable(),
  snippet: z.string(),
  score: z.number(),
  page: z.number().nullable(),
  section: z.string().nullable(),
});

export const chatAnswer = z.object({
  answer: z.string(),
  grounded: z.boolean(),
  citations: z.array(citation),
  refusal: z.object({ reason: z.literal('no_relevant_documents'), message: z.string() }).nullable(),
  source_label: z.string(),
  request_id: z.string(),
  latency_ms: z.number(),
});

/** OpenAI's `chat.completion`, with Oprag's grounding and citations beside `choices`. */
export const chatCompletion = z.object({
  id: z.string(),
  object: z.literal('chat.completion'),
  created: z.number(),
  model: z.string(),
  choices: z.array(
    z.object({
      index: z.number(),
      message: z.object({ role: z.literal('assistant'), content: z.string(), refusal: z.null() }),
      logprobs: z.null(),
      finish_reason: z.literal('stop'),
    }),
  ),
  usage: z.object({ prompt_tokens: z.number(), completion_tokens: z.number(), total_tokens: z.number() }),
  oprag: chatAnswer.pick({ grounded: true, citations: true, refusal: true, source_label: true, request_id: true }),
});

export const retrieveAnswer = z.object({
  results: z.array(
    z.object({
      chunk_id: z.string(),
      document_id: z.string(),
      title: z.string().nullable(),
      url: z.string().nullable(),
      text: z.string(),
      score: z.number(),
      page: z.number().nullable(),
      section: z.string().nullable(),
    }),
  ),
});

export const goldenQuestion = z.object({
  id: z.string(),
  question: z.string(),
  expected_answer: z.string().nullable(),
  expected_document_ids: z.array(z.string()),
  must_refuse: z.boolean(),
  approved: z.boolean(),
  created_at: time,
  updated_at: time,
});

export const goldenResult = z.object({
  golden_question_id: z.string(),
  passed: z.boolean(),
  answer: z.string(),
  citations: z.array(citation),
  reasons: z.array(z.string()),
});

export const jobStatus = z.enum(['running', 'done', 'failed']);

/** A golden run: `running` while its questions are asked in the background, then `done` (or `failed`). */
export const goldenRun = z.object({
  id: z.string(),
  at: time,
  status: jobStatus,
  total: z.number(),
  passed: z.number(),
  failed: z.number(),
  results: z.array(goldenResult),
  error: z.string().optional(),
});

/** What `POST .../golden-questions/run` answers (202). */
export const goldenRunStarted = z.object({
  id: z.string(),
  at: time,
  status: z.literal('running'),
  total: z.number(),
});

/** An export job; `url` is its download, once `ready` and until downloaded (locally) or expired. */
export const exportJob = z.object({
  id: z.string(),
  status: z.enum(['running', 'ready', 'failed']),
  created_at: time,
  bytes: z.number().optional(),
  url: z.string().optional(),
  expires_at: time.optional(),
  error: z.string().optional(),
});

export const goldenDeleted = z.object({ deleted: z.object({ golden_question_id: z.string() }) });

export const auditEvent = z.object({
  at: time,
  actor: z.object({
    type: z.enum(['company_key', 'project_key', 'upload_url', 'system']),
    key_id: z.string().nullable(),
  }),
  action: z.string(),
  resource: z.string(),
  outcome: z.enum(['success', 'denied', 'failed']),
  request_id: z.string(),
  /** per action: for a chat, the question's hash, the cited documents, grounded or refused, latency */
  detail: z.record(z.string(), z.unknown()).optional(),
});

export const auditPage = z.object({ events: z.array(auditEvent), next_cursor: z.string().nullable() });

export const usageDay = z.object({
  day: z.string(),
  requests: z.number(),
  answers: z.number(),
  refusals: z.number(),
  documents: z.number(),
  bytes: z.number(),
  embedding_units: z.number(),
  generation_units: z.number(),
});
