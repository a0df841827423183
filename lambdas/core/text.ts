import { stemmer } from 'porter-stemmer';
import type { QueryTerm } from './search-types';

/**
 * English stopwords dropped from queries and from the evidence measures. The index keeps
 * every word (phrases still match); only what decides relevance ignores these.
 */
const STOPWORD_LIST = `a about above after again against all am an and any are aren't as at be because been before being
below between both but by can can't cannot could couldn't did didn't do does doesn't doing don't down
during each few for from further had hadn't has hasn't have haven't having he he'd he'll he's her here
here's hers herself him himself his how how's i i'd i'll i'm i've if in into is isn't it it's its itself
let's me more most mustn't my myself no nor not of off on once only or other ought our ours ourselves
out over own same shan't she she'd she'll she's should shouldn't so some such than that that's the
their theirs them themselves then there there's these they they'd they'll they're they've this those
through to too under until up very was wasn't we we'd we'll we're we've were weren't what what's when
when's where where's which while who who's whom why why's with won't would wouldn't you you'd you'll
you're you've your yours yourself yourselves also may might must shall will just s t d ll m o re ve y
tell please give know explain describe say says said does doing get gets got`.split(/\s+/);
// tokenize() cuts "doesn't" to "doesn", so the cut forms of negative contractions are stopwords too
export const STOPWORDS = new Set([
  ...STOPWORD_LIST,
  ...STOPWORD_LIST.filter((w) => w.endsWith("n't")).map((w) => w.slice(0, -2)),
]);

/** A word, and the letters after an apostrophe that it drops ("customer's" → "customer"). */
export const TOKEN = /([\p{L}\p{N}]+)(?:['’][\p{L}]+)?/gu;

/** Any character outside ASCII (text without one needs no NFKC normalization). */
const NON_ASCII = /[^\p{ASCII}]/u;

/**
 * Text lower-cased and NFKC-normalized, as tokens are read from it (ASCII is already normal), and
 * whether it is all ASCII (chunk-terms.ts reads such text without the TOKEN pattern).
 */
export function foldedText(text: string): { folded: string; ascii: boolean } {
  const lower = text.toLowerCase();
  return NON_ASCII.test(lower) ? { folded: lower.normalize('NFKC'), ascii: false } : { folded: lower, ascii: true };
}

/** Text as tokens are read from it (foldedText). */
export const foldCase = (text: string): string => foldedText(text).folded;

/** Lower-cased word tokens, the way the unicode61 tokenizer sees them (apostrophes aside). */
export function tokenize(text: string): string[] {
  const out: string[] = [];
  const folded = foldCase(text);
  TOKEN.lastIndex = 0;
  for (let m = TOKEN.exec(folded); m !== null; m = TOKEN.exec(folded)) out.push(m[1]);
  return out;
}

const stems = new Map<string, string>();

/**
 * A token's Porter stem (numbers stay as they are). Memoized: the refusal gate and the citation
 * checks stem every passage they weigh, on every question, and a corpus repeats its words.
 */
export function stem(token: string): string {
  let s = stems.get(token);
  if (s === undefined) {
    if (stems.size >= 200_000) stems.clear();
    s = /^\p{N}+$/u.test(token) ? token : stemmer(token);
    stems.set(token, s);
  }
  return s;
}

/** The content terms of a query: no stopwords, deduplicated by stem, in order. */
export function queryTerms(text: string): QueryTerm[] {
  const seen = new Set<string>();
  const terms: QueryTerm[] = [];
  for (const token of tokenize(text)) {
    if (STOPWORDS.has(token) || token.length < 2) continue;
    const s = stem(token);
    if (seen.has(s)) continue;
    seen.add(s);
    terms.push({ token, stem: s });
  }
  return terms;
}

/**
 * Words that questions use generically ("what is the refund *policy*", "the *process* for"):
 * they count for less when deciding whether a passage answers a question.
 */
export const GENERIC_WORDS = new Set(
  `policy policies information info detail details process procedure procedures rule rules option options
way ways thing things question questions answer help use using used need needs want wants happen happens
mean means example examples kind kinds type types find like make work works possible available
requirement requirements guideline guidelines overview summary long much many often soon time take takes
ask able allowed allow still really exactly currently anything something someone anyone`.split(/\s+/),
);
export const GENERIC_WEIGHT = 0.35;

/** The set of stems of a passage's content words. */
export function stemSet(text: string): Set<string> {
  const set = new Set<string>();
  for (const token of tokenize(text)) if (!STOPWORDS.has(token)) set.add(stem(token));
  return set;
}

/**
 * Identifier-like tokens (letters and digits mixed, such as order numbers or product codes):
 * a question that names one is only answerable by a passage that contains it.
 */
export function isCodeLike(token: string): boolean {
  return /\p{L}/u.test(token) && /\p{N}/u.test(token) && token.length >= 4;
}

const ABBREVIATIONS = /\b(?:e\.g|i\.e|etc|vs|mr|mrs|ms|dr|prof|inc|ltd|no|fig|al|approx|st)\.$/i;

/** Splits text into sentences without breaking on common abbreviations or decimals. */
export function splitSentences(text: string): string[] {
  const sentences: string[] = [];
  const parts = text
    .replace(/\s+/g, ' ')
    .trim()
    .split(/(?<=[.!?。])\s+(?=[\p{Lu}\p{N}"'“([])/u);
  let carry = '';
  for (const part of parts) {
    const joined = carry ? `${carry} ${part}` : part;
    if (ABBREVIATIONS.test(joined)) {
      carry = joined;
      continue;
    }
    sentences.push(joined);
    carry = '';
  }
  if (carry) sentences.push(carry);
  return sentences.filter((s) => s.length > 0);
}

/** Inverse document frequency, BM25 style, never negative. */
export function idf(documentFrequency: number, documents: number): number {
  return Math.log(1 + (documents - documentFrequency + 0.5) / (documentFrequency + 0.5));
}

/** Folds diacritics away ('café' → 'cafe'), the way FTS5's unicode61 tokenizer does. */
export function foldDiacritics(token: string): string {
  return /[^\x20-\x7e]/.test(token)
    ? token
        .normalize('NFD')
        .replace(/\p{M}+/gu, '')
        .normalize('NFC')
    : token;
}

const indexKeys = new Map<string, string>();

/**
 * The key a token is indexed under: diacritics folded, then stemmed. Documents and queries go
 * through the same function, so 'Café' in a query finds 'cafe' in a passage. Memoized: a corpus
 * repeats its words, and stemming is the costly part of indexing.
 */
export function indexKey(token: string): string {
  let key = indexKeys.get(token);
  if (key === undefined) {
    if (indexKeys.size >= 200_000) indexKeys.clear();
    key = stem(foldDiacritics(token));
    indexKeys.set(token, key);
  }
  return key;
}

/** The weighted share of a question's terms (stem → weight, summing to `total`) in a set of stems. */
export function termShare(stems: Set<string>, weights: Record<string, number>, total: number): number {
  let hit = 0;
  for (const [term, w] of Object.entries(weights)) if (stems.has(term)) hit += w;
  return hit / total;
}
