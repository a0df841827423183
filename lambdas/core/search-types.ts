/**
 * The shapes retrieval and answering pass between the core and the ports: what a query asks for,
 * what a search finds, and what a generator is given. The core owns them; `ports.ts` re-exports them.
 */
import type { Chunk } from './model';

/** A term of a query: as typed (lower-cased) and as stemmed. */
export interface QueryTerm {
  token: string;
  stem: string;
}

/**
 * A word a query gains by feedback (see feedback.ts): its index key (text.ts indexKey) and its
 * weight, where each term of the query weighs 1.
 */
export interface ExpansionTerm {
  key: string;
  weight: number;
}

export interface SearchHit extends Chunk {
  /** larger is better; comparable within one search only */
  score: number;
}

export interface Passage {
  index: number;
  text: string;
  title: string | null;
  section: string | null;
  /** the chunk's place in its document (0: the document's opening) */
  ordinal?: number;
}

export interface GeneratorInput {
  question: string;
  passages: Passage[];
  /** stems of the question's content terms, with their inverse document frequency */
  termWeights: Record<string, number>;
  /** words of the question that are not common English and that no chunk of the project holds */
  unknownNames?: string[];
}

export interface SearchRequest {
  terms: QueryTerm[];
  /**
   * words that add to the score of the chunks `terms` match, each with its weight, without
   * matching any chunk themselves (pseudo-relevance feedback: the retrieval use case chooses them)
   */
  expansion?: ExpansionTerm[];
  /** the query's embedding: where given, the index also runs a nearest-neighbour search */
  vector?: number[];
  topK: number;
  filter?: { document_ids?: string[]; tags?: string[] };
}

export interface SearchResult {
  /** lexical (BM25) hits, best first */
  hits: SearchHit[];
  /** nearest-neighbour hits for `vector`, best first; the core fuses the two rankings */
  denseHits?: SearchHit[];
  /** chunks in the project's index */
  chunkCount: number;
  /** how many chunks contain each query term, keyed by stem */
  documentFrequency: Record<string, number>;
}
