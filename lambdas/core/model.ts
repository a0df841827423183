import type { Role, Scope } from './scopes';

/** The records Oprag keeps, as the use cases see them (snake_case, as API.md shows them). */

export interface Company {
  id: string;
  name: string;
  created_at: string;
  /** projects the company may hold; the deployment's `maxProjectsPerCompany` when absent */
  max_projects?: number | null;
}

export type Environment = 'production' | 'staging';

export interface ApiKeyRecord {
  id: string;
  company_id: string;
  /** null for a company key */
  project_id: string | null;
  kind: 'company' | 'project';
  /** company keys only */
  role: Role | null;
  /** project keys only */
  scopes: Scope[];
  name: string | null;
  prefix: string;
  hash: string;
  environment: Environment | null;
  created_at: string;
  last_used_at: string | null;
  expires_at: string | null;
  revoked_at: string | null;
}

export interface ProjectLimits {
  chat_per_minute?: number | null;
  ingest_per_minute?: number | null;
  max_documents?: number | null;
  max_bytes?: number | null;
  /** golden questions a project may hold; 200 when unset */
  max_golden_questions?: number | null;
}

export interface ProjectRecord {
  id: string;
  company_id: string;
  name: string;
  external_ref: string | null;
  environment: Environment;
  limits: ProjectLimits;
  webhook_url: string | null;
  /** signs the project's webhooks; never shown in a project object, only once when issued */
  webhook_secret: string | null;
  /** where the project's index lives (on AWS, a collection of the pool); chosen at creation */
  index_placement: string | null;
  created_at: string;
  updated_at: string;
  /**
   * set when a purge was asked for and the worker has not finished it (AWS): from then on the
   * project answers 404 to every key, as one that does not exist
   */
  deleting_at?: string | null;
}

/**
 * Removal work the API handed to the worker (AWS): a deleted document's index entries and files,
 * or a whole project's purge. Kept until the worker has finished it, so the sweeper can finish
 * what a lost or failed message left behind.
 */
export interface CleanupRecord {
  /** `labels`: a document's new title, url or tags, written to its record, not yet to its chunks */
  kind: 'document' | 'project' | 'labels';
  project_id: string;
  company_id: string;
  /** the document id, for a purge the project id, for labels `labelsTarget(document id)` */
  target: string;
  index_placement: string | null;
  requested_at: string;
  /** for a purge: what the request counted, to which the worker adds what it removes */
  counts?: { documents: number; keys: number };
}

export type DocumentStatus = 'queued' | 'processing' | 'ready' | 'failed';
export const DOCUMENT_STATUSES = [
  'queued',
  'processing',
  'ready',
  'failed',
] as const satisfies readonly DocumentStatus[];

export interface DocumentRecord {
  id: string;
  title: string | null;
  url: string | null;
  filename: string | null;
  content_type: string;
  external_id: string | null;
  tags: string[];
  metadata: Record<string, unknown>;
  status: DocumentStatus;
  error: string | null;
  chunks: number;
  bytes: number;
  content_hash: string;
  created_at: string;
  updated_at: string;
}

export interface GoldenQuestion {
  id: string;
  question: string;
  expected_answer: string | null;
  expected_document_ids: string[];
  must_refuse: boolean;
  approved: boolean;
  created_at: string;
  updated_at: string;
}

export interface GoldenResult {
  golden_question_id: string;
  passed: boolean;
  answer: string;
  citations: Citation[];
  reasons: string[];
}

export type JobStatus = 'running' | 'done' | 'failed';

/**
 * A golden run as stored: the questions it asks, fixed when it starts, and its counts; each result
 * is a record of its own (a run of hundreds of answers outgrows one item).
 */
export interface GoldenRunRecord {
  id: string;
  at: string;
  status: JobStatus;
  total: number;
  passed: number;
  failed: number;
  question_ids: string[];
  error?: string;
}

/** A golden run as the API shows it: the record without its question list, with its results. */
export interface GoldenRun {
  id: string;
  at: string;
  status: JobStatus;
  total: number;
  passed: number;
  failed: number;
  results: GoldenResult[];
  error?: string;
}

/** An export written in the background, and its one-time download. */
export interface ExportRecord {
  id: string;
  status: 'running' | 'ready' | 'failed';
  created_at: string;
  /** whether the file holds each document's original bytes (base64) */
  originals: boolean;
  bytes?: number;
  error?: string;
  /** when the file is deleted, downloaded or not */
  expires_at?: string;
  /** the hash of the download token handed out last (local home); null once downloaded */
  token_hash?: string | null;
  token_expires_at?: string | null;
  downloaded_at?: string | null;
}

export interface AuditEvent {
  id: string;
  at: string;
  actor: { type: 'company_key' | 'project_key' | 'upload_url' | 'system'; key_id: string | null };
  action: string;
  resource: string;
  outcome: 'success' | 'denied' | 'failed';
  request_id: string;
  /** per action: for a chat, the question's hash, the cited documents, grounded or refused, latency */
  detail?: Record<string, unknown>;
}

export interface UsageCounters {
  requests: number;
  answers: number;
  refusals: number;
  documents: number;
  bytes: number;
  embedding_units: number;
  generation_units: number;
}
/** Every usage counter, in the order reports list them. */
export const USAGE_COUNTERS: readonly (keyof UsageCounters)[] = [
  'requests',
  'answers',
  'refusals',
  'documents',
  'bytes',
  'embedding_units',
  'generation_units',
];

export interface UsageDay extends UsageCounters {
  day: string;
}

/** A pending one-time upload URL. Only the hash of its token is stored. */
export interface UploadRecord {
  id: string;
  project_id: string;
  document_id: string;
  token_hash: string;
  filename: string;
  content_type: string;
  title: string | null;
  url: string | null;
  external_id: string | null;
  tags: string[];
  /** the exact length in bytes the URL takes, when the request gave it (records from before: absent) */
  size?: number | null;
  expires_at: string;
  used_at: string | null;
  created_at: string;
}

/** A piece of a document as the index holds it. */
export interface Chunk {
  id: string;
  document_id: string;
  ordinal: number;
  title: string | null;
  section: string | null;
  page: number | null;
  text: string;
  url: string | null;
  tags: string[];
  /** the chunk's embedding, where the home has an embedder */
  vector?: number[];
}

export interface Citation {
  index: number;
  document_id: string;
  chunk_id: string;
  title: string | null;
  url: string | null;
  snippet: string;
  score: number;
  page: number | null;
  section: string | null;
}

export interface Refusal {
  reason: 'no_relevant_documents';
  message: string;
}

export interface ChatAnswer {
  answer: string;
  grounded: boolean;
  citations: Citation[];
  refusal: Refusal | null;
  source_label: string;
  request_id: string;
  latency_ms: number;
}
