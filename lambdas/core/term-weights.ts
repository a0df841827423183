/**
 * How much each word of a question counts when deciding what a passage holds: its rarity in the
 * project (IDF), less for generic words ("policy", "how long") and for common English the project
 * never uses (a paraphrase), more for a name no chunk holds.
 */
import { bloomHas } from './bloom';
import { COMMON_STEMS, COMMON_STEMS_BITS } from './common-words';
import type { QueryTerm } from './search-types';
import { GENERIC_WEIGHT, GENERIC_WORDS, idf } from './text';

/**
 * Weight of a common English word of a question that the project never uses, relative to the mean
 * of the question's specific words: less than a name the documents lack, more than a generic word.
 */
export const PARAPHRASE_WEIGHT = 1;

/** Weight of a question word that appears nowhere in the project. */
export const UNSEEN_WEIGHT = 1.5;

/** What the index knows about the question's terms: how many chunks hold each, out of how many. */
export interface TermStats {
  documentFrequency?: Record<string, number>;
  chunkCount?: number;
  /**
   * a common English word the project never uses counts as a generic word, not as the subject of
   * the question: questions paraphrase ("the refund *window*" for "within 45 days")
   */
  paraphrase?: boolean;
}

const COMMON = Uint8Array.from(atob(COMMON_STEMS), (c) => c.charCodeAt(0));

/** Whether a stem is (very likely) one of the 5,000 most frequent English words'. */
export function isCommonStem(s: string): boolean {
  return bloomHas(COMMON, COMMON_STEMS_BITS, s);
}

/** A word that says little about what is asked: generic, or common English the project lacks. */
function isGeneric(t: QueryTerm, stats: TermStats): boolean {
  if (GENERIC_WORDS.has(t.token)) return true;
  return Boolean(stats.paraphrase && stats.documentFrequency?.[t.stem] === 0 && isCommonStem(t.stem));
}

/** How much a question term counts towards coverage. */
export function termWeight(t: QueryTerm, documentFrequency?: Record<string, number>, paraphrase = false): number {
  if (isGeneric(t, { documentFrequency, paraphrase })) return GENERIC_WEIGHT;
  // a specific word that no passage of the project contains is what the question is about
  if (documentFrequency && documentFrequency[t.stem] === 0) return UNSEEN_WEIGHT;
  return 1;
}

/**
 * How much a term says about relevance: its inverse document frequency in the project when the
 * counts are known — a word in most chunks says little, a rare one a lot. A specific word no chunk
 * contains weighs UNSEEN_WEIGHT times the rarest word the project does have (its raw IDF would
 * swamp everything in a small project); a generic word weighs GENERIC_WEIGHT times the mean of the
 * question's specific words, whether the project has it or not. Without counts, `termWeight`.
 */
export function informativeWeights(terms: QueryTerm[], stats: TermStats = {}): number[] {
  const { documentFrequency: df, chunkCount } = stats;
  if (!df || !chunkCount) return terms.map((t) => termWeight(t, df, stats.paraphrase));
  const generic = (t: QueryTerm) => isGeneric(t, stats);
  const seen = terms.filter((t) => !generic(t) && (df[t.stem] ?? 0) > 0).map((t) => idf(df[t.stem], chunkCount));
  const specific = terms.filter((t) => !generic(t)).map((t) => idfOrUnseen(t, df, chunkCount, seen));
  const mean = specific.length > 0 ? specific.reduce((a, b) => a + b, 0) / specific.length : 1;
  return terms.map((t) =>
    GENERIC_WORDS.has(t.token)
      ? GENERIC_WEIGHT * mean
      : generic(t)
        ? PARAPHRASE_WEIGHT * mean
        : idfOrUnseen(t, df, chunkCount, seen),
  );
}

function idfOrUnseen(t: QueryTerm, df: Record<string, number>, chunkCount: number, seen: number[]): number {
  const n = df[t.stem];
  if (n === undefined) return 1;
  if (n > 0) return idf(n, chunkCount);
  return seen.length > 0 ? UNSEEN_WEIGHT * Math.max(...seen) : idf(0, chunkCount);
}

/** The weight of one term as `informativeWeights` gives it in its question. */
export function informativeWeight(t: QueryTerm, stats: TermStats = {}, terms: QueryTerm[] = [t]): number {
  const i = terms.findIndex((x) => x.stem === t.stem);
  return informativeWeights(i >= 0 ? terms : [...terms, t], stats)[i >= 0 ? i : terms.length];
}

/**
 * The question's words that are not common English and that no chunk of the project contains
 * ("tmux", "PartiQL", "logrotate"): names of something the documents never mention. Rarer English
 * words land here too ("emulator", "troubleshoot"), so this is left to a generator to weigh — the
 * extractive answerer asks more of its best unit; a language model is given it.
 */
export function unknownNames(terms: QueryTerm[], documentFrequency: Record<string, number> = {}): string[] {
  return terms
    .filter(
      (t) =>
        documentFrequency[t.stem] === 0 &&
        !GENERIC_WORDS.has(t.token) &&
        !/^\d+$/.test(t.token) &&
        !isCommonStem(t.stem),
    )
    .map((t) => t.token);
}
