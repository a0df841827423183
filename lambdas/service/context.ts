import type { GateOptions } from '../core/gate';
import type { ApiKeyRecord, ProjectLimits } from '../core/model';
import { DEFAULT_READ_LIMITS, type ReadLimits } from '../core/read-limits';
import { type RemainingMs, UNBOUNDED } from '../core/time-budget';
import type {
  BlobStore,
  Clock,
  DocumentReader,
  Embedder,
  Generator,
  IngestQueue,
  JobQueue,
  Logger,
  SearchIndex,
  TenantStore,
  UploadTarget,
  WebhookSender,
} from '../ports';

export interface Settings {
  /** largest document accepted in a request body */
  maxBodyBytes: number;
  /** largest file accepted through an upload URL */
  maxUploadBytes: number;
  /** how long an upload URL stays valid */
  uploadTtlSeconds: number;
  /** what a chat answer says about where it comes from */
  sourceLabel: string;
  /** the message of a refusal */
  refusalMessage: string;
  /** limits a new project starts with */
  defaultLimits: ProjectLimits;
  /** share of the dense ranking in the fused score, where an embedder is configured */
  denseWeight: number;
  /** texts per embedding request */
  embedBatchSize: number;
  /**
   * chunks whose embeddings are kept together as one step of a document's progress: a document
   * cut short resumes from its last whole step on its next delivery
   */
  embedCheckpointChunks: number;
  /**
   * time an ingest run keeps back from the end of its invocation (writing the index, settling
   * the documents, handing the rest back to the queue): no new embedding step starts inside it
   */
  ingestReserveMs: number;
  /** let webhook and model URLs point at private addresses (tests and private deployments only) */
  allowPrivateUrls: boolean;
  /** days an audit event is kept */
  auditRetentionDays: number;
  /**
   * failed authentications written to one company's audit per minute (per running process); the
   * rest of the minute's are counted and the count rides on the next one written
   */
  failedAuthAuditPerMinute: number;
  /** pauses between webhook attempts: one more attempt than there are pauses */
  webhookRetryDelaysMs: number[];
  /** what reading one document may cost: memory, time, output, inflation (docs/security.md) */
  readLimits: ReadLimits;
  /** worker threads that read documents, shared by every project */
  readWorkers: number;
  /** the largest export `GET .../export` answers in its response; larger ones are export jobs */
  inlineExportMaxBytes: number;
  /** how long a finished export's file is kept, and a local download link stays valid */
  exportTtlSeconds: number;
  /** golden questions a project may hold when its limits set none */
  defaultMaxGoldenQuestions: number;
  /**
   * projects one company may hold unless its record sets `max_projects`: one company cannot take
   * the whole search pool (AWS) or data directory from every other
   */
  maxProjectsPerCompany: number;
  /** changes to the refusal gate's defaults (evaluations compare settings with it) */
  gate?: Partial<GateOptions>;
  /** an OpenAI-compatible chat-completions server that writes answers; the extractive answerer when null */
  llm: LlmSettings | null;
  /**
   * hand document processing and removals to the worker instead of doing them in the request
   * (AWS, where a request has 29 seconds): `?wait=true` watches the record for at most
   * `waitBudgetMs`, deletes and purges are queued and finished by the worker
   */
  workerOwnsIndexWrites: boolean;
  /**
   * every run of a document (the ingest queue's and a request's own) happens in this process (the
   * embedded home): runs holding the same document are kept from overlapping here, so a record
   * need not be marked `processing` to tell a run in flight (see service/ingest/runs.ts)
   */
  runsInOneProcess: boolean;
  /** the longest `?wait=true` watches a document before answering 202 with it still in progress */
  waitBudgetMs: number;
  /** the first pause between two reads of a watched document; it doubles up to 2 s */
  waitPollMs: number;
  /** a document queued or processing for longer than this is queued again by the sweeper */
  stuckAfterMs: number;
}

/** Where answers are generated when an operator points Oprag at a model server (OPRAG_LLM_*). */
export interface LlmSettings {
  /** up to and including the API version, e.g. `http://127.0.0.1:11434/v1`; `/chat/completions` is appended */
  baseUrl: string;
  model: string;
  /** sent as `Authorization: Bearer`; none when absent */
  apiKey?: string;
}

export const DEFAULT_SETTINGS: Settings = {
  // what API Gateway and Lambda can carry (6 MB), base64 included: the same on both homes
  maxBodyBytes: 4 * 1024 * 1024,
  maxUploadBytes: 100 * 1024 * 1024,
  uploadTtlSeconds: 15 * 60,
  sourceLabel: 'From your uploaded documents',
  refusalMessage: "I couldn't find an answer to that in this project's documents.",
  // generous enough never to stop a real integration, low enough that one runaway client cannot
  // take the service from everyone else; company admins change them per project
  defaultLimits: { chat_per_minute: 1200, ingest_per_minute: 6000, max_documents: 100_000, max_bytes: 10 * 2 ** 30 },
  denseWeight: 0.5,
  embedBatchSize: 16,
  embedCheckpointChunks: 256,
  ingestReserveMs: 120_000,
  allowPrivateUrls: false,
  auditRetentionDays: 400,
  failedAuthAuditPerMinute: 20,
  webhookRetryDelaysMs: [1000, 2000, 4000, 8000],
  readLimits: DEFAULT_READ_LIMITS,
  readWorkers: 1,
  inlineExportMaxBytes: 5 * 1024 * 1024,
  exportTtlSeconds: 24 * 60 * 60,
  defaultMaxGoldenQuestions: 200,
  maxProjectsPerCompany: 50,
  llm: null,
  workerOwnsIndexWrites: false,
  runsInOneProcess: true,
  // API Gateway waits 29 s for a function; the answer needs a moment after the watch ends
  waitBudgetMs: 25_000,
  waitPollMs: 250,
  // longer than the worker's timeout (10 minutes): a document still in progress is not taken twice
  stuckAfterMs: 15 * 60_000,
};

/** OPRAG_READ_* variable for each read limit. */
const READ_LIMIT_ENV: Record<keyof ReadLimits, string> = {
  memoryMb: 'OPRAG_READ_MEMORY_MB',
  timeoutMs: 'OPRAG_READ_TIMEOUT_MS',
  maxChars: 'OPRAG_READ_MAX_CHARS',
  maxChunks: 'OPRAG_READ_MAX_CHUNKS',
  maxInflatedBytes: 'OPRAG_READ_MAX_INFLATED_BYTES',
  maxZipEntries: 'OPRAG_READ_MAX_ZIP_ENTRIES',
  maxPdfStreamBytes: 'OPRAG_READ_MAX_PDF_STREAM_BYTES',
  maxPdfPages: 'OPRAG_READ_MAX_PDF_PAGES',
};

const positiveInt = (name: string, raw: string) => {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a whole number above 0, got "${raw}"`);
  return n;
};

/** The read limits an operator changed through OPRAG_READ_*, over the defaults; null when none. */
export function readLimitsFromEnv(env: Record<string, string | undefined>): ReadLimits | null {
  let changed = false;
  const limits = { ...DEFAULT_READ_LIMITS };
  for (const [key, name] of Object.entries(READ_LIMIT_ENV) as [keyof ReadLimits, string][]) {
    const raw = env[name]?.trim();
    if (!raw) continue;
    limits[key] = positiveInt(name, raw);
    changed = true;
  }
  return changed ? limits : null;
}

/**
 * OPRAG_LLM_BASE_URL, OPRAG_LLM_MODEL and OPRAG_LLM_API_KEY, checked. The operator sets the URL,
 * not a tenant, so loopback and private hosts are allowed; it must be plain http(s).
 */
export function llmSettingsFromEnv(env: Record<string, string | undefined>): LlmSettings | null {
  const raw = env.OPRAG_LLM_BASE_URL?.trim();
  if (!raw) return null;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error(`OPRAG_LLM_BASE_URL must be an http(s) URL such as http://127.0.0.1:11434/v1, got "${raw}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`OPRAG_LLM_BASE_URL must be an http(s) URL, got the ${url.protocol} scheme`);
  }
  if (url.username || url.password)
    throw new Error('OPRAG_LLM_BASE_URL must not hold credentials; set OPRAG_LLM_API_KEY');
  if (url.search || url.hash) throw new Error('OPRAG_LLM_BASE_URL must not have a query or a fragment');
  const model = env.OPRAG_LLM_MODEL?.trim();
  if (!model) throw new Error('OPRAG_LLM_MODEL must name the model to use when OPRAG_LLM_BASE_URL is set');
  const apiKey = env.OPRAG_LLM_API_KEY?.trim();
  return { baseUrl: url.href.replace(/\/+$/, ''), model, ...(apiKey ? { apiKey } : {}) };
}

/** The settings an operator may change through the environment, in either home. */
export function settingsFromEnv(env: Record<string, string | undefined>): Partial<Settings> {
  const out: Partial<Settings> = {};
  const days = env.OPRAG_AUDIT_RETENTION_DAYS ?? env.OPRAG_AUDIT_TTL_DAYS;
  if (days) {
    const n = Number(days);
    if (!Number.isInteger(n) || n < 1) throw new Error('OPRAG_AUDIT_RETENTION_DAYS must be a whole number of days');
    out.auditRetentionDays = n;
  }
  if (env.OPRAG_ALLOW_PRIVATE_URLS === '1' || env.OPRAG_ALLOW_PRIVATE_URLS === 'true') out.allowPrivateUrls = true;
  const llm = llmSettingsFromEnv(env);
  if (llm) out.llm = llm;
  const readLimits = readLimitsFromEnv(env);
  if (readLimits) out.readLimits = readLimits;
  const maxProjects = env.OPRAG_MAX_PROJECTS_PER_COMPANY?.trim();
  if (maxProjects) out.maxProjectsPerCompany = positiveInt('OPRAG_MAX_PROJECTS_PER_COMPANY', maxProjects);
  const workers = env.OPRAG_READ_WORKERS?.trim();
  if (workers) out.readWorkers = positiveInt('OPRAG_READ_WORKERS', workers);
  return out;
}

/** The ports a home supplies: everything the use cases touch outside themselves. */
export interface Deps {
  store: TenantStore;
  index: SearchIndex;
  blobs: BlobStore;
  generator: Generator;
  queue: IngestQueue;
  uploads: UploadTarget;
  /** optional: with one, chunks are embedded and retrieval fuses dense and lexical rankings */
  embedder?: Embedder | null;
  /**
   * reads documents: a pool of threads with a heap limit and a deadline in both homes, supplied
   * by the composition root so that the request functions bundle no parser
   */
  reader: DocumentReader;
  /** optional: with one, projects with a webhook_url hear when a document is ready or failed */
  webhookSender?: WebhookSender | null;
  clock?: Clock;
  /** background jobs (golden runs, exports); without one they cannot be started */
  jobs?: JobQueue | null;
  /** where the use cases report what fails outside a request (webhook deliveries, ingest jobs) */
  logger: Logger;
  /** what the current invocation has left (a Lambda function's time); unbounded when absent */
  remainingMs?: RemainingMs;
  settings?: Partial<Settings>;
}

/** Who is calling: resolved from the bearer key by `authenticate`. */
export type Principal =
  | { kind: 'company'; key: ApiKeyRecord; companyId: string; role: 'admin' | 'viewer' }
  | { kind: 'project'; key: ApiKeyRecord; companyId: string; projectId: string };

export interface Context extends Required<Omit<Deps, 'settings' | 'embedder' | 'webhookSender' | 'jobs'>> {
  jobs: JobQueue | null;
  embedder: Embedder | null;
  webhookSender: WebhookSender | null;
  settings: Settings;
  now(): Date;
  iso(): string;
  /** waits `ms` of the context's clock */
  sleep(ms: number): Promise<void>;
}

export function makeContext(deps: Deps): Context {
  const clock = deps.clock ?? { now: () => new Date() };
  const settings = { ...DEFAULT_SETTINGS, ...deps.settings };
  return {
    ...deps,
    embedder: deps.embedder ?? null,
    webhookSender: deps.webhookSender ?? null,
    jobs: deps.jobs ?? null,
    remainingMs: deps.remainingMs ?? UNBOUNDED,
    clock,
    settings,
    now: () => clock.now(),
    iso: () => clock.now().toISOString(),
    sleep: (ms) => (clock.sleep ? clock.sleep(ms) : new Promise((resolve) => setTimeout(resolve, ms))),
  };
}
