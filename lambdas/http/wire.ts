/**
 * The API's public answers, as types: what clients (the dashboard and lambdas/client/oprag.ts)
 * read off the wire. Each is inferred from its zod schema in wire-schemas.ts, the same schema the
 * OpenAPI document publishes; type imports only, so the dashboard's browser build can
 * `import type` them without pulling in server code. test/unit/wire-shapes.ts holds the use
 * cases' answers to these shapes, test/http/wire.test.ts real answers field by field.
 */
import type { z } from 'zod';
import type * as s from './wire-schemas';

export type Role = z.infer<typeof s.role>;
export type Scope = z.infer<typeof s.scope>;
export type Environment = z.infer<typeof s.environment>;
export type DocumentStatus = z.infer<typeof s.documentStatus>;

/** Every error answer (API.md). */
export type ErrorBody = z.infer<typeof s.errorBody>;
export type ErrorType = ErrorBody['error']['type'];

export type Company = z.infer<typeof s.company>;
/** A key as listed: never its hash, and its secret only when created. */
export type ApiKey = z.infer<typeof s.apiKey>;
/** A key in the answer that creates it: the only time its secret is shown. */
export type NewApiKey = z.infer<typeof s.newApiKey>;
/** What a key is and what it may do (`GET /v1/me`). */
export type Me = z.infer<typeof s.me>;

export type ProjectLimits = z.infer<typeof s.projectLimits>;
export type Project = z.infer<typeof s.project>;
export type ProjectPage = z.infer<typeof s.projectPage>;
/** What deleting a project removed. */
export type ProjectDeleted = z.infer<typeof s.projectDeleted>;
/** A new project and its first key. */
export type ProjectCreated = z.infer<typeof s.projectCreated>;

export type DocumentView = z.infer<typeof s.documentView>;
export type DocumentPage = z.infer<typeof s.documentPage>;
/** The answer to ingesting a document (`unchanged` when the same content came again). */
export type DocumentAccepted = z.infer<typeof s.documentAccepted>;
/** The answer to a batch: each item's document, or the error that refused it alone, in the request's order. */
export type DocumentBatchAccepted = z.infer<typeof s.documentBatchAccepted>;
export type DocumentBatchItem = z.infer<typeof s.documentBatchItem>;
export type DocumentDeleted = z.infer<typeof s.documentDeleted>;
/** A one-time upload URL for a file too large for a request body. */
export type UploadCreated = z.infer<typeof s.uploadCreated>;

export type Citation = z.infer<typeof s.citation>;
export type ChatAnswer = z.infer<typeof s.chatAnswer>;
export type ChatCompletion = z.infer<typeof s.chatCompletion>;
export type RetrieveAnswer = z.infer<typeof s.retrieveAnswer>;

export type GoldenQuestion = z.infer<typeof s.goldenQuestion>;
export type GoldenResult = z.infer<typeof s.goldenResult>;
export type JobStatus = z.infer<typeof s.jobStatus>;
export type GoldenRun = z.infer<typeof s.goldenRun>;
export type GoldenRunStarted = z.infer<typeof s.goldenRunStarted>;
export type ExportJob = z.infer<typeof s.exportJob>;
export type GoldenDeleted = z.infer<typeof s.goldenDeleted>;

export type AuditEvent = z.infer<typeof s.auditEvent>;
export type AuditPage = z.infer<typeof s.auditPage>;
export type UsageDay = z.infer<typeof s.usageDay>;
