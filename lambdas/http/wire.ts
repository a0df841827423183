/**
 * The API's public answers, as types: what clients (the dashboard among them) read off the wire.
 * Types only, importing nothing, so the dashboard's browser build can `import type` them without
 * pulling in server code; test/unit/wire.test.ts holds the use cases' answers to these shapes.
 */

export type Role = 'admin' | 'viewer';
export type Scope = 'query' | 'ingest' | 'review';
export type Environment = 'production' | 'staging';
export type DocumentStatus = 'queued' | 'processing' | 'ready' | 'failed';

/** Every error answer (API.md). */
export interface ErrorBody {
  error: { type: string; message: string; request_id: string };
}

export interface Company {
  id: string;
  name: string;
  created_at: string;
}

/** A key as listed: never its hash, and its secret only when created. */
export interface ApiKey {
  id: string;
  name: string | null;
  prefix: string;
  scopes: Scope[];
  /** company keys only */
  role?: Role | null;
  environment: Environment | null;
  created_at: string;
  last_used_at: string | null;
  expires_at: string | null;
  revoked_at: string | null;
}

/** A key in the answer that creates it: the only time its secret is shown. */
export type NewApiKey = ApiKey & { key: string };

export interface ProjectLimits {
  chat_per_minute?: number | null;
  ingest_per_minute?: number | null;
  max_documents?: number | null;
  max_bytes?: number | null;
  max_golden_questions?: number | null;
}

export interface Project {
  id: string;
  name: string;
  external_ref: string | null;
  environment: Environment;
  created_at: string;
  updated_at: string;
  limits: ProjectLimits;
  webhook_url: string | null;
  /** on a single project's answer */
  stats?: { documents: number; chunks: number; bytes: number };
}

export interface ProjectPage {
  projects: Project[];
  next_cursor: string | null;
}

/** What deleting a project removed. */
export interface ProjectDeleted {
  deleted: { project_id: string; documents: number; chunks: number; keys: number; blobs: number };
}

/** A new project and its first key. */
export interface ProjectCreated {
  project: Project;
  api_key: Pick<ApiKey, 'id' | 'prefix' | 'scopes' | 'environment' | 'created_at'> & { key: string };
}

export interface DocumentView {
  id: string;
  title: string | null;
  url: string | null;
  filename: string | null;
  content_type: string;
  external_id: string | null;
  tags: string[];
  metadata: Record<string, unknown>;
  status: DocumentStatus;
  /** why a `failed` document failed */
  error?: string;
  chunks: number;
  bytes: number;
  content_hash: string;
  created_at: string;
  updated_at: string;
}

export interface DocumentPage {
  documents: DocumentView[];
  next_cursor: string | null;
}

/** A one-time upload URL for a file too large for a request body. */
export interface UploadCreated {
  /** `method` is PUT */
  upload: { url: string; method: string; headers: Record<string, string>; expires_at: string; document_id: string };
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

export interface ChatAnswer {
  answer: string;
  grounded: boolean;
  citations: Citation[];
  refusal: { reason: 'no_relevant_documents'; message: string } | null;
  source_label: string;
  request_id: string;
  latency_ms: number;
}

export interface RetrieveAnswer {
  results: {
    chunk_id: string;
    document_id: string;
    title: string | null;
    url: string | null;
    text: string;
    score: number;
    page: number | null;
    section: string | null;
  }[];
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

/** A golden run: `running` while its questions are asked in the background, then `done` (or `failed`). */
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

/** What `POST .../golden-questions/run` answers (202). */
export interface GoldenRunStarted {
  id: string;
  at: string;
  status: 'running';
  total: number;
}

/** An export job; `url` is its download, once `ready` and until downloaded (locally) or expired. */
export interface ExportJob {
  id: string;
  status: 'running' | 'ready' | 'failed';
  created_at: string;
  bytes?: number;
  url?: string;
  expires_at?: string;
  error?: string;
}

export interface AuditEvent {
  at: string;
  actor: { type: 'company_key' | 'project_key' | 'upload_url' | 'system'; key_id: string | null };
  action: string;
  resource: string;
  outcome: 'success' | 'denied' | 'failed';
  request_id: string;
  /** per action: for a chat, the question's hash, the cited documents, grounded or refused, latency */
  detail?: Record<string, unknown>;
}

export interface AuditPage {
  events: AuditEvent[];
  next_cursor: string | null;
}

export interface UsageDay {
  day: string;
  requests: number;
  answers: number;
  refusals: number;
  documents: number;
  bytes: number;
  embedding_units: number;
  generation_units: number;
}
