import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Judgements } from '../core/ir-metrics';

/**
 * Reading a benchmark in the BEIR layout: corpus.jsonl `{_id, title, text}`, queries.jsonl
 * `{_id, text, metadata}`, qrels/<split>.tsv with a header `query-id corpus-id score`. One reader
 * for the evaluation runners and the measurement scripts.
 */

/** The objects of a JSON-lines file, blank lines skipped. */
export const readJsonl = <T>(file: string): T[] =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as T);

export const readCorpus = (dir: string) =>
  readJsonl<{ _id: string; title?: string; text: string }>(join(dir, 'corpus.jsonl'));

/** query id → text */
export const readQueries = (dir: string) =>
  new Map(readJsonl<{ _id: string; text: string }>(join(dir, 'queries.jsonl')).map((q) => [q._id, q.text]));

/** A qrels file as query id → relevant corpus id → grade (grades > 0 only). */
export function readQrelsFile(file: string): Map<string, Judgements> {
  const qrels = new Map<string, Judgements>();
  for (const line of readFileSync(file, 'utf8').split(/\r?\n/).slice(1)) {
    const [qid, did, grade] = line.trim().split('\t');
    if (!qid || !did || !(Number(grade) > 0)) continue;
    if (!qrels.has(qid)) qrels.set(qid, new Map());
    qrels.get(qid)?.set(did, Number(grade));
  }
  return qrels;
}

/** qrels/<split>.tsv of a BEIR folder (grades > 0 only). */
export const readQrels = (dir: string, split: string) => readQrelsFile(join(dir, 'qrels', `${split}.tsv`));
