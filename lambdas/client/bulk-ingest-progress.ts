/** What `oprag ingest` counts and reports as it goes. */

export interface IngestFailure {
  file: string;
  external_id: string;
  document_id?: string;
  reason: string;
}

export interface Counts {
  sent: number;
  unchanged: number;
  ready: number;
  failed: number;
}

/** Where progress goes: a bar on a terminal, plain lines in a log. */
export interface ProgressSink {
  start(phase: 'sending' | 'processing', total: number): void;
  update(done: number, counts: Counts): void;
  failure(f: IngestFailure): void;
  stop(): void;
}
