/**
 * The body of a document-reading worker thread (lambdas/adapters/parse-pool.ts): reads one
 * document at a time and posts back its chunk drafts or why it could not be read. A separate
 * entry file so that the Lambda bundles can carry it beside the handler (lib/oprag-function.ts).
 */
import { parentPort } from 'node:worker_threads';
import type { SupportedType } from '../core/formats/detect';
import { parseDocument } from '../core/parse-document';
import type { ReadLimits } from '../core/read-limits';
import { lowerThisThreadPriority } from './thread-priority';

export interface ParseRequest {
  id: number;
  bytes: Uint8Array;
  type: SupportedType;
  limits: ReadLimits;
}

/** A group of small documents in one message: their bytes in one buffer, each its slice. */
export interface ParseGroupRequest {
  id: number;
  bytes: Uint8Array;
  items: { start: number; end: number; type: SupportedType }[];
  limits: ReadLimits;
}

export type ParseOutcome =
  | { ok: Awaited<ReturnType<typeof parseDocument>> }
  | { error: { name: string; message: string } };

export type ParseReply = { id: number } & ParseOutcome;

/** One outcome for each document of a group, in the group's order. */
export type ParseGroupReply = { id: number; many: ParseOutcome[] };

function outcome(bytes: Buffer, type: SupportedType, limits: ReadLimits): Promise<ParseOutcome> {
  return parseDocument(bytes, type, limits).then(
    // a text the original gives back goes back as its marker alone, not copied to the event loop
    (ok) => ({ ok: ok.textMarker ? { ...ok, text: '' } : ok }),
    (e: unknown) => {
      const err = e instanceof Error ? e : new Error(String(e));
      return { error: { name: err.name, message: err.message } };
    },
  );
}

// reading is background work: requests on the event loop and the read threads come first
if (parentPort) lowerThisThreadPriority();

parentPort?.on('message', async (req: ParseRequest | ParseGroupRequest) => {
  const all = Buffer.from(req.bytes.buffer, req.bytes.byteOffset, req.bytes.byteLength);
  if ('items' in req) {
    // each read on its own, within its own limits: one refused fails alone
    const many: ParseOutcome[] = [];
    for (const it of req.items) many.push(await outcome(all.subarray(it.start, it.end), it.type, req.limits));
    parentPort?.postMessage({ id: req.id, many } satisfies ParseGroupReply);
    return;
  }
  parentPort?.postMessage({ id: req.id, ...(await outcome(all, req.type, req.limits)) } satisfies ParseReply);
});
