/**
 * The body of a document-reading worker thread (lambdas/adapters/parse-pool.ts): reads one
 * document at a time and posts back its chunk drafts or why it could not be read. A separate
 * entry file so that the Lambda bundles can carry it beside the handler (lib/oprag-function.ts).
 */
import { parentPort } from 'node:worker_threads';
import type { SupportedType } from '../core/formats/detect';
import { parseDocument } from '../core/parse-document';
import type { ReadLimits } from '../core/read-limits';

export interface ParseRequest {
  id: number;
  bytes: Uint8Array;
  type: SupportedType;
  limits: ReadLimits;
}

export type ParseReply =
  | { id: number; ok: Awaited<ReturnType<typeof parseDocument>> }
  | { id: number; error: { name: string; message: string } };

parentPort?.on('message', (req: ParseRequest) => {
  const bytes = Buffer.from(req.bytes.buffer, req.bytes.byteOffset, req.bytes.byteLength);
  parseDocument(bytes, req.type, req.limits).then(
    (ok) => parentPort?.postMessage({ id: req.id, ok } satisfies ParseReply),
    (e: unknown) => {
      const err = e instanceof Error ? e : new Error(String(e));
      parentPort?.postMessage({ id: req.id, error: { name: err.name, message: err.message } } satisfies ParseReply);
    },
  );
});
