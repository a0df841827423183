/**
 * The interfaces the use cases need. Each home supplies its own adapters through a
 * composition root (`local/compose.ts`, `handlers/compose.ts`); no port imports an adapter.
 * Every data-plane port is obtained for one project, so no method can reach across projects.
 */

import type { FeedbackParams } from './core/feedback';
import type { SupportedType } from './core/formats/detect';
import type {
  ApiKeyRecord,
  AuditEvent,
  Chunk,
  CleanupRecord,
  Company,
  DocumentRecord,
  DocumentStatus,
  ExportRecord,
  GoldenQuestion,
  GoldenResult,
  GoldenRunRecord,
  ProjectRecord,
  UploadRecord,
  UsageCounters,
  UsageDay,
} from './core/model';
import type { ParsedDocument } from './core/parse-document';
import type { GeneratorInput, SearchRequest, SearchResult } from './core/search-types';

export type {
  ExpansionTerm,
  GeneratorInput,
  Passage,
  QueryTerm,
  SearchHit,
  SearchRequest,
  SearchResult,
} from './core/search-types';

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

export interface PageRequest {
  limit: number;
  /** the id after which to continue (ids sort by creation) */
  after?: string | null;
}

/** Control-plane records: companies, keys, projects, uploads. */
export interface TenantStore {
  createCompany(company: Company): Promise<void>;
  getCompany(id: string): Promise<Company | null>;
  listCompanies(): Promise<Company[]>;

  putKey(key: ApiKeyRecord): Promise<void>;
  getKey(id: string): Promise<ApiKeyRecord | null>;
  findKeyByHash(hash: string): Promise<ApiKeyRecord | null>;
  /**
   * The companies owning a key whose display prefix is `prefix` (revoked and expired keys
   * included), each once: how a failed authentication finds the company whose audit records it.
   */
  companiesByKeyPrefix(prefix: string): Promise<string[]>;
  listCompanyKeys(companyId: string): Promise<ApiKeyRecord[]>;
  listProjectKeys(projectId: string): Promise<ApiKeyRecord[]>;
  /** Sets last_used_at. Best effort: never fails a request. */
  touchKey(id: string, at: string): Promise<void>;
  /** Revokes unless already revoked; returns the key as it now is. */
  revokeKey(id: string, at: string): Promise<ApiKeyRecord | null>;

  createProject(project: ProjectRecord): Promise<void>;
  getProject(id: string): Promise<ProjectRecord | null>;
  listProjects(companyId: string, page: PageRequest): Promise<Page<ProjectRecord>>;
  updateProject(project: ProjectRecord): Promise<void>;

  /** Records of one project: documents, golden questions, runs, audit, usage. */
  forProject(projectId: string): ProjectRecords;

  /** Company-level audit (calls that concern no single project). */
  appendCompanyAudit(companyId: string, event: AuditEvent): Promise<void>;
  /** The company's own audit events, newest first; kept when a project is deleted. */
  listCompanyAudit(companyId: string, page: PageRequest): Promise<Page<AuditEvent>>;
  /**
   * Deletes audit events older than `before` (ISO time), returning how many; a store whose
   * records expire by themselves (DynamoDB TTL) returns 0.
   */
  pruneAudit(before: string): Promise<number>;

  putUpload(upload: UploadRecord): Promise<void>;
  /** The upload a token names while it is unused and unexpired; null otherwise. Claims nothing. */
  findUpload(tokenHash: string, now: string): Promise<UploadRecord | null>;
  /** Marks the upload used and returns it, once; null when unknown, used or expired. */
  claimUpload(tokenHash: string, now: string): Promise<UploadRecord | null>;
  /** The same, for an upload found by its id (on AWS the object key names the upload). */
  claimUploadById(uploadId: string, now: string): Promise<UploadRecord | null>;

  /**
   * Optional, for a home whose removals run in its worker (AWS): removal work handed over and
   * not yet finished. `putCleanup` writes one unless it exists (true when written);
   * `listCleanups` lists them all, or one project's.
   */
  putCleanup?(cleanup: CleanupRecord): Promise<boolean>;
  listCleanups?(projectId?: string): Promise<CleanupRecord[]>;
  getCleanup?(projectId: string, target: string): Promise<CleanupRecord | null>;
  deleteCleanup?(projectId: string, target: string): Promise<void>;
}

export interface DocumentListRequest extends PageRequest {
  status?: DocumentStatus;
}

/** A change to a document, valid only for the content it was computed from. */
export interface DocumentPatch {
  id: string;
  content_hash: string;
  patch: Partial<DocumentRecord>;
}

export interface PurgeCounts {
  documents: number;
  keys: number;
}

export interface ProjectRecords {
  putDocument(doc: DocumentRecord): Promise<void>;
  /**
   * Optional: writes several documents in one transaction (a batch taken in at once); without
   * it, each is a `putDocument` of its own.
   */
  putDocuments?(docs: DocumentRecord[]): Promise<void>;
  getDocument(id: string): Promise<DocumentRecord | null>;
  /**
   * Optional: several documents in one read, each in the order asked (null where the project has
   * none by that id); without it, each is a `getDocument` of its own.
   */
  getDocuments?(ids: string[]): Promise<(DocumentRecord | null)[]>;
  findDocumentByExternalId(externalId: string): Promise<DocumentRecord | null>;
  /**
   * Optional: the documents held under several external ids in one read, each in the order asked
   * (null where the project has none); without it, each is a `findDocumentByExternalId` of its own.
   */
  findDocumentsByExternalIds?(externalIds: string[]): Promise<(DocumentRecord | null)[]>;
  listDocuments(req: DocumentListRequest): Promise<Page<DocumentRecord>>;
  /** Documents in queued or processing state (crash recovery). */
  listUnfinishedDocuments(): Promise<DocumentRecord[]>;
  deleteDocument(id: string): Promise<boolean>;
  documentTotals(): Promise<{ documents: number; bytes: number }>;
  /**
   * Applies each patch to its document only while the document still holds `content_hash` (one
   * neither replaced nor deleted meanwhile); returns each document as written, or null where it
   * was left alone. A store that can writes them in one transaction, one that cannot as one
   * conditional write each. A patch never changes a document's id or external id.
   */
  patchDocuments(patches: DocumentPatch[]): Promise<(DocumentRecord | null)[]>;

  putGoldenQuestion(q: GoldenQuestion): Promise<void>;
  getGoldenQuestion(id: string): Promise<GoldenQuestion | null>;
  listGoldenQuestions(): Promise<GoldenQuestion[]>;
  deleteGoldenQuestion(id: string): Promise<boolean>;
  /** Writes a run's record (its status and counts), never its results. */
  putGoldenRun(run: GoldenRunRecord): Promise<void>;
  getGoldenRun(id: string): Promise<GoldenRunRecord | null>;
  /** Newest first. */
  listGoldenRuns(): Promise<GoldenRunRecord[]>;
  /**
   * Stores the result of question `index` of a run, once: false (and nothing written) when that
   * index already holds one, so a job delivered twice never counts an answer twice.
   */
  putGoldenResult(runId: string, index: number, result: GoldenResult): Promise<boolean>;
  /** A run's results in question order. */
  listGoldenResults(runId: string): Promise<GoldenResult[]>;

  putExport(record: ExportRecord): Promise<void>;
  getExport(id: string): Promise<ExportRecord | null>;
  /** Newest first. */
  listExports(): Promise<ExportRecord[]>;
  /**
   * Marks a ready export downloaded while it still holds `tokenHash`, and returns it as it was
   * before; null when the token is not the export's (already used, replaced or unknown).
   */
  claimExportDownload(id: string, tokenHash: string, at: string): Promise<ExportRecord | null>;

  appendAudit(event: AuditEvent): Promise<void>;
  listAudit(page: PageRequest): Promise<Page<AuditEvent>>;

  addUsage(day: string, delta: Partial<UsageCounters>): Promise<void>;
  listUsage(fromDay: string, toDay: string): Promise<UsageDay[]>;
  /**
   * Adds `by` (one unless given: a batch counts all its items in one write) to a counter for a
   * time window and returns its new value (rate limits).
   */
  countInWindow(name: string, window: string, by?: number): Promise<number>;

  /** Deletes every record of the project, its keys and the project itself. */
  purge(): Promise<PurgeCounts>;
}

/** What a document's chunks carry of the document itself, and can change without ingesting again. */
export interface ChunkLabels {
  title?: string;
  url?: string | null;
  tags?: string[];
}

export interface ProjectIndex {
  /** Replaces every chunk of the document in one atomic step (new or changed document). */
  replaceDocument(documentId: string, chunks: Chunk[]): Promise<void>;
  /**
   * replaceDocument for several documents, with one commit where the index can (one that cannot
   * batch loops); each document is still replaced whole or left as it was, on its own. Resolves
   * to each one's error, or null.
   */
  replaceDocuments(docs: { documentId: string; chunks: Chunk[] }[]): Promise<(unknown | null)[]>;
  deleteDocument(documentId: string): Promise<number>;
  /**
   * Gives every chunk of the document the labels given (the others stay), in one step as
   * replaceDocument does: searches see the old labels or the new ones, never a mix. A title is
   * searched as well as shown, so a new one is indexed too. Resolves to the chunks changed.
   */
  relabelDocument(documentId: string, labels: ChunkLabels): Promise<number>;
  search(req: SearchRequest): Promise<SearchResult>;
  /**
   * Optional: a search with pseudo-relevance feedback (core/feedback.ts `feedbackSearch`) in one
   * step, where the index can run it in one place (the embedded index's read threads: one visit
   * to a thread instead of three). The use case drives `search` and `termCounts` where it cannot.
   */
  searchWithFeedback?(req: SearchRequest, feedback: FeedbackParams): Promise<SearchResult>;
  /**
   * Optional: the term counts the index stored for these chunks (their content terms by index key,
   * with the frequency over the fields, in the order they first occur), null for a chunk it no
   * longer holds. Feedback counts the terms from a chunk's text where an index does not.
   */
  termCounts?(chunkIds: string[]): Promise<(Map<string, number> | null)[]>;
  chunkCount(): Promise<number>;
  documentChunkIds(documentId: string): Promise<string[]>;
  /** Drops the project's whole index; returns the chunks it held. */
  drop(): Promise<number>;
}

export interface SearchIndex {
  /**
   * Creates a new project's index and says where it lives (on AWS, the collection of the pool it
   * was placed in); the placement is recorded on the project and handed back to `forProject`.
   */
  createProject(projectId: string): Promise<string>;
  forProject(projectId: string, placement?: string | null): ProjectIndex;
}

/** Turns text into vectors (Bedrock Titan on AWS; none on the embedded default). */
export interface Embedder {
  readonly dimensions: number;
  embed(texts: string[], purpose: 'document' | 'query'): Promise<{ vectors: number[][]; units: number }>;
}

export interface ProjectBlobs {
  /**
   * `readSoon`: the blob is to be read once, soon, by this same process (a document's original,
   * read by the ingest queue); a store may keep it at hand for that read. A hint only: `get`
   * returns what the store holds either way.
   */
  put(key: string, bytes: Buffer, contentType: string, opts?: { readSoon?: boolean }): Promise<void>;
  get(key: string): Promise<{ bytes: Buffer; contentType: string } | null>;
  delete(key: string): Promise<boolean>;
  /**
   * Optional: a short-lived URL the client downloads the blob from itself (S3 presigned GET), so
   * large files never pass through a function; null when the blob is missing. Stores without it
   * hand out the bytes.
   */
  downloadUrl?(
    key: string,
    as: { filename: string | null; contentType: string; expiresInSeconds: number },
  ): Promise<string | null>;
  /** Deletes every blob of the project; returns how many there were. */
  deleteAll(): Promise<number>;
}

/** A file that arrived outside the API, in a landing area. */
export interface LandedObject {
  bytes: Buffer;
  contentType: string | null;
  /** its user metadata (S3: `x-amz-meta-*`, names lower-cased without the prefix) */
  metadata?: Record<string, string>;
  /** the object's size when it was larger than the reader's `maxBytes`: its bytes were not read */
  oversized?: number;
}

export interface BlobStore {
  forProject(projectId: string): ProjectBlobs;
  /**
   * Where a home's files land outside the API (S3: `drop/<project_id>/<path>` and
   * `uploads/<project_id>/<upload_id>`): the object at such a key, null once it is gone
   * (notifications come at least once); any other key is refused. With `maxBytes`, an object
   * larger than that is not read (`oversized` gives its size, `bytes` is empty).
   */
  readLanded?(key: string, opts?: { maxBytes?: number }): Promise<LandedObject | null>;
  /** Removes a landed object once its bytes are kept elsewhere; one already gone is no error. */
  deleteLanded?(key: string): Promise<void>;
  /**
   * A project's purge: removes everything that landed for the project outside the API (the
   * local drop folder `drop/<project_id>/`; on S3 `drop/<project_id>/` and
   * `uploads/<project_id>/`); returns how many files or objects there were.
   */
  purgeLanded?(projectId: string): Promise<number>;
}

/** Where a client PUTs the bytes of an upload. */
export interface UploadTarget {
  /** `token` is the one-time secret the local server checks; S3 presigns instead. */
  createUrl(input: {
    projectId: string;
    uploadId: string;
    documentId: string;
    token: string;
    contentType: string;
    /** the exact length in bytes the URL must take, when known: the URL is bound to it */
    size?: number;
    expiresAt: Date;
    baseUrl: string;
  }): Promise<{ url: string; headers: Record<string, string> }>;
}

/** Writes an answer whose sentences cite passages as `[n]`. */
export interface Generator {
  generate(input: GeneratorInput): Promise<{ text: string; units: number }>;
  /**
   * The same answer as it is written: text pieces as the model produces them, then at most one
   * `units` piece (what the call cost). `withheld` says the model or a guardrail withheld the
   * text after all. Generators without it are streamed from `generate`'s whole text.
   */
  stream?(input: GeneratorInput): AsyncIterable<GeneratedPiece>;
}

/** A piece of a streamed answer: text as written, or the call's cost at its end. */
export type GeneratedPiece = { text: string } | { units: number; withheld?: boolean };

/** Runs document processing after the request that queued it. */
export interface IngestQueue {
  enqueue(projectId: string, documentId: string): Promise<void>;
  /** Optional: queues several documents of one project in as few sends as the queue allows. */
  enqueueMany?(projectId: string, documentIds: string[]): Promise<void>;
}

/**
 * Reads a document's bytes into chunk drafts, within the limits it was built with. Both homes
 * use a pool of worker threads, each with a heap limit and a deadline, so that one hostile file
 * neither blocks the event loop that serves every tenant nor takes the process's memory; a file
 * that passes a limit rejects with an ExtractionError that says which.
 */
export interface DocumentReader {
  /**
   * `from` names the stored original the bytes were read from (its project, and its key among the
   * project's blobs), for a reader that fetches the original itself (the reader function on AWS).
   */
  read(bytes: Buffer, type: SupportedType, from?: { projectId: string; key: string }): Promise<ParsedDocument>;
}

/** Work that outlives the request that asked for it: a golden run, an export. */
export type BackgroundJob =
  | { type: 'golden_run'; project_id: string; run_id: string }
  | { type: 'export'; project_id: string; export_id: string }
  /** removal work a request handed over: `target` is the deleted document, or the purged project */
  | { type: 'cleanup'; project_id: string; target: string }
  /** a document's record has new labels (PATCH) that its indexed chunks are to get */
  | { type: 'relabel'; project_id: string; document_id: string };

/**
 * Runs background jobs after the request (an in-process runner locally, SQS on AWS). A job is
 * delivered at least once; `delaySeconds` holds it back, as a run waiting for its chat limit does.
 */
export interface JobQueue {
  enqueueJob(job: BackgroundJob, delaySeconds?: number): Promise<void>;
}

export interface Clock {
  now(): Date;
  /** Optional: resolves after `ms` of this clock (a test clock moves itself); a timer otherwise. */
  sleep?(ms: number): Promise<void>;
}

/**
 * Posts a signed webhook to a tenant's URL. Refuses (throws) a URL whose host resolves to a
 * private, loopback or link-local address, and never follows redirects.
 */
export interface WebhookSender {
  send(url: string, body: string, headers: Record<string, string>): Promise<{ status: number }>;
}

/** What a log line carries besides its message: ids, counts, an error; never keys, document text or questions. */
export type LogFields = Record<string, unknown>;

/**
 * Where the service says what happened: Powertools Logger on AWS, one JSON line per event on
 * stderr locally.
 */
export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every line it writes (e.g. the request id). */
  with(fields: LogFields): Logger;
}
