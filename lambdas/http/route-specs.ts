/**
 * What each route of the route table takes and answers, for the OpenAPI document (openapi.ts) and
 * the typed client: the request schemas are the very zod schemas the handlers validate with
 * (schemas.ts), the answers those of wire-schemas.ts. Data only.
 */
import { z } from 'zod';
import type { RouteAction } from './route-table';
import { chatCompletions, documentBatch, pageQuery, schemas } from './schemas';
import * as wire from './wire-schemas';

/** An answer's body: a JSON schema, the raw bytes of a content type, or nothing. */
export type ResponseSpec =
  | { description: string; json: z.ZodTypeAny; eventStream?: boolean }
  | { description: string; raw: string }
  | { description: string; headers?: Record<string, string> };

export interface RouteSpec {
  summary: string;
  /** a JSON body, validated by this schema */
  body?: z.ZodTypeAny;
  /** also takes `multipart/form-data` with a `file` part and these fields */
  multipart?: z.ZodTypeAny;
  /** the body is the bytes themselves */
  rawBody?: boolean;
  /** the query string, validated by this schema */
  query?: z.ZodObject<z.ZodRawShape>;
  /** the successful answers, by status */
  responses: Record<number, ResponseSpec>;
  /** the error statuses this route answers beyond those every route of its kind does */
  errors?: number[];
}

const json = (description: string, schema: z.ZodTypeAny): ResponseSpec => ({ description, json: schema });
const keys = z.object({ keys: z.array(wire.apiKey) });

/** `?wait=true` on a document ingest: answer once the document is processed. */
const waitQuery = z.object({
  wait: z.enum(['true', 'false', '1', '0']).optional().describe('answer `201` once ready, or `422` if it failed'),
});
/** `?wait=true` on a batch: answer once its documents are processed. */
const batchWaitQuery = z.object({
  wait: z
    .enum(['true', 'false', '1', '0'])
    .optional()
    .describe(
      'answer `200` once every item taken in is `ready` or `failed` (each says which), or `202` if time ran out',
    ),
});

export const ROUTE_SPECS: Record<RouteAction, RouteSpec> = {
  openapi: {
    summary: 'This OpenAPI document',
    responses: { 200: { description: 'the OpenAPI 3.1 document', raw: 'application/json' } },
  },
  me: { summary: 'What the calling key is and may do', responses: { 200: json('the key', wire.me) } },
  'company.get': {
    summary: "The key's company",
    responses: { 200: json('the company', z.object({ company: wire.company })) },
  },
  'company.keys.create': {
    summary: 'Create a company key (shown once)',
    body: schemas.companyKey,
    responses: { 201: json('the new key', z.object({ api_key: wire.newApiKey })) },
  },
  'company.keys.list': { summary: "The company's keys (never the secret)", responses: { 200: json('keys', keys) } },
  'company.audit': {
    summary: "The company's own audit events",
    query: schemas.auditQuery,
    responses: { 200: json('a page of events', wire.auditPage) },
  },
  'company.keys.revoke': {
    summary: 'Revoke a company key',
    responses: { 200: json('the revoked key', z.object({ api_key: wire.apiKey })) },
    errors: [409],
  },
  'projects.create': {
    summary: 'Create a project and its first key',
    body: schemas.createProject,
    responses: { 201: json('the project and its key, shown once', wire.projectCreated) },
    // the company's project quota, or (AWS) a search pool with no room for another index
    errors: [409],
  },
  'projects.list': {
    summary: "The company's projects, with their stats",
    query: pageQuery,
    responses: { 200: json('a page of projects', wire.projectPage) },
  },
  'projects.get': {
    summary: 'A project with its stats',
    responses: { 200: json('the project', z.object({ project: wire.project })) },
  },
  'projects.update': {
    summary: "Change a project's name, reference, limits or webhook",
    body: schemas.patchProject,
    responses: {
      200: json(
        'the project; `webhook_secret` when a new one was set',
        z.object({ project: wire.project.extend({ webhook_secret: z.string().optional() }) }),
      ),
    },
  },
  'projects.delete': {
    summary: 'Delete a project and purge every trace of it',
    responses: { 200: json('what was removed', wire.projectDeleted) },
  },
  'projects.usage': {
    summary: "A project's usage by day",
    query: schemas.usageQuery,
    responses: { 200: json('usage by day', z.object({ usage: z.array(wire.usageDay) })) },
  },
  'projects.export': {
    summary: 'Export a project as NDJSON (at most 5 MB)',
    responses: { 200: { description: 'one JSON record a line', raw: 'application/x-ndjson' } },
    errors: [409],
  },
  'exports.create': {
    summary: 'Start an export job (NDJSON written in the background; `?originals=true` adds the files)',
    query: schemas.exportCreate,
    responses: { 202: json('the job, running', z.object({ export: wire.exportJob })) },
  },
  'exports.get': {
    summary: 'An export job; once ready, a one-time, short-lived download URL',
    responses: { 200: json('the job', z.object({ export: wire.exportJob })) },
  },
  'exports.download': {
    summary: "The local server's one-time download of a ready export (on AWS the URL is S3's own)",
    responses: { 200: { description: 'one JSON record a line', raw: 'application/x-ndjson' } },
  },
  'keys.create': {
    summary: 'Create a project key (shown once)',
    body: schemas.projectKey,
    responses: { 201: json('the new key', z.object({ api_key: wire.newApiKey })) },
  },
  'keys.list': { summary: "A project's keys (never the secret)", responses: { 200: json('keys', keys) } },
  'keys.revoke': {
    summary: 'Revoke a project key',
    responses: { 200: json('the revoked key', z.object({ api_key: wire.apiKey })) },
  },
  'audit.list': {
    summary: "A project's audit events",
    query: schemas.auditQuery,
    responses: { 200: json('a page of events', wire.auditPage) },
  },
  'golden.create': {
    summary: 'Add a golden question',
    body: schemas.goldenCreate,
    responses: { 201: json('the question', z.object({ golden_question: wire.goldenQuestion })) },
    errors: [409],
  },
  'golden.list': {
    summary: "A project's golden questions",
    responses: { 200: json('the questions', z.object({ golden_questions: z.array(wire.goldenQuestion) })) },
  },
  'golden.run': {
    summary: 'Run the golden questions',
    body: schemas.goldenRun,
    responses: { 202: json('the run, started: poll it', z.object({ run: wire.goldenRunStarted })) },
    errors: [429],
  },
  'golden.runs.get': {
    summary: 'A golden run: its progress, then its results',
    responses: { 200: json('the run', z.object({ run: wire.goldenRun })) },
  },
  'golden.update': {
    summary: 'Change or approve a golden question',
    body: schemas.goldenPatch,
    responses: { 200: json('the question', z.object({ golden_question: wire.goldenQuestion })) },
  },
  'golden.delete': {
    summary: 'Delete a golden question',
    responses: { 200: json('what was removed', wire.goldenDeleted) },
  },
  'golden.runs': {
    summary: "A project's golden runs, newest first",
    responses: { 200: json('the runs', z.object({ runs: z.array(wire.goldenRun) })) },
  },
  'documents.create': {
    summary: 'Ingest a document (JSON or multipart, up to the body limit)',
    body: schemas.documentJson,
    multipart: schemas.documentFields,
    query: waitQuery,
    responses: {
      200: json('the same content again under the same `external_id`: left alone', wire.documentAccepted),
      201: json('with `?wait=true`: the document, ready', wire.documentAccepted),
      202: json('the document, queued', wire.documentAccepted),
    },
    errors: [409, 413, 415, 422, 429],
  },
  'documents.create_batch': {
    summary: 'Ingest up to 1000 documents in one request (an addition beyond the 1.1 contract)',
    body: documentBatch,
    query: batchWaitQuery,
    responses: {
      200: json(
        'with `?wait=true`, once every item taken in is processed: each item as at 202, a document `ready` or `failed`',
        wire.documentBatchAccepted,
      ),
      202: json(
        "each item in the request's order: its document (queued, or `unchanged: true`) or its own error",
        wire.documentBatchAccepted,
      ),
    },
    errors: [413, 415],
  },
  'documents.list': {
    summary: "A project's documents",
    query: schemas.documentQuery,
    responses: { 200: json('a page of documents', wire.documentPage) },
  },
  'documents.get': {
    summary: 'A document',
    responses: { 200: json('the document', z.object({ document: wire.documentView })) },
  },
  'documents.update': {
    summary: "Change a document's title, url, tags or metadata; answers use them at once",
    body: schemas.documentPatch,
    responses: { 200: json('the document, changed', z.object({ document: wire.documentView })) },
    errors: [409],
  },
  'documents.content': {
    summary: "A document's original bytes",
    responses: {
      200: { description: 'the bytes, with their content type', raw: '*/*' },
      302: { description: 'a short-lived URL of the bytes', headers: { location: 'the URL' } },
    },
  },
  'documents.delete': {
    summary: 'Delete a document',
    responses: { 200: json('what was removed', wire.documentDeleted) },
  },
  'uploads.create': {
    summary: 'A one-time URL to PUT a file too large for a request body',
    body: schemas.upload,
    responses: { 201: json('the upload URL', wire.uploadCreated) },
    errors: [409, 415, 429],
  },
  'uploads.complete': {
    summary: "The local server's upload URL (on AWS the URL is S3's own)",
    rawBody: true,
    responses: { 200: json('the document, queued', z.object({ document: wire.documentView })) },
    errors: [409, 413, 415],
  },
  retrieve: {
    summary: "Search a project's documents",
    body: schemas.retrieve,
    responses: { 200: json('the best passages', wire.retrieveAnswer) },
    errors: [429],
  },
  chat: {
    summary: "A cited answer from the project's documents, or a refusal",
    body: schemas.chat,
    responses: {
      200: {
        description: 'the answer; with `stream: true`, `delta` events and a `done` event carrying it',
        json: wire.chatAnswer,
        eventStream: true,
      },
    },
    errors: [429],
  },
  'chat.completions': {
    summary: "OpenAI's Chat Completions over the project's documents: the last user message is the question",
    body: chatCompletions,
    responses: {
      200: {
        description: 'a `chat.completion`; with `stream: true`, `chat.completion.chunk` events then `data: [DONE]`',
        json: wire.chatCompletion,
        eventStream: true,
      },
    },
    errors: [429],
  },
};
