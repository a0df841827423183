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
