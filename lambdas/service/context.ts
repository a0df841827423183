import type { ApiKeyRecord, ProjectLimits } from '../core/model';
import type {
  BlobStore,
  Clock,
  Embedder,
  Generator,
  IngestQueue,
  SearchIndex,
  TenantStore,
  UploadTarget,
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
}

export const DEFAULT_SETTINGS: Settings = {
  maxBodyBytes: 10 * 1024 * 1024,
  maxUploadBytes: 100 * 1024 * 1024,
  uploadTtlSeconds: 15 * 60,
  sourceLabel: 'From your uploaded documents',
  refusalMessage: "I couldn't find an answer to that in this project's documents.",
  defaultLimits: { chat_per_minute: null, ingest_per_minute: null, max_documents: null, max_bytes: null },
  denseWeight: 0.5,
  embedBatchSize: 16,
};

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
  clock?: Clock;
  settings?: Partial<Settings>;
}

/** Who is calling: resolved from the bearer key by `authenticate`. */
export type Principal =
  | { kind: 'company'; key: ApiKeyRecord; companyId: string; role: 'admin' | 'viewer' }
  | { kind: 'project'; key: ApiKeyRecord; companyId: string; projectId: string };

export interface Context extends Required<Omit<Deps, 'settings' | 'embedder'>> {
  embedder: Embedder | null;
  settings: Settings;
  now(): Date;
  iso(): string;
}

export function makeContext(deps: Deps): Context {
  const clock = deps.clock ?? { now: () => new Date() };
  return {
    ...deps,
    embedder: deps.embedder ?? null,
    clock,
    settings: { ...DEFAULT_SETTINGS, ...deps.settings },
    now: () => clock.now(),
    iso: () => clock.now().toISOString(),
  };
}
