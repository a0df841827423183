import type { Chunk } from '../../core/model';
import type { ProjectIndex, SearchIndex } from '../../ports';
import type { SqliteSearchIndex } from './sqlite-index';

/**
 * The embedded index with `replaceDocuments`: the replacements of a batch run inside one SQLite
 * transaction on the project's file, so the batch costs one commit (and one FTS5 segment) rather
 * than one per document. Each replaceDocument keeps its own transaction, which nests as a
 * savepoint: a document that fails is rolled back alone and the others are still written.
 * Everything else is the index itself.
 */
export function withBatchedWrites(index: SqliteSearchIndex): SearchIndex {
  const forProject = (projectId: string): ProjectIndex => {
    const inner = index.forProject(projectId);
    const replaceDocuments = async (docs: { documentId: string; chunks: Chunk[] }[]) => {
      const errors: unknown[] = docs.map(() => null);
      const writes: Promise<void>[] = [];
      index.db(projectId).transaction(() => {
        docs.forEach((d, i) => {
          try {
            writes.push(
              inner.replaceDocument(d.documentId, d.chunks).catch((e: unknown) => {
                errors[i] = e;
              }),
            );
          } catch (e) {
            errors[i] = e;
          }
        });
      })();
      await Promise.all(writes);
      return errors;
    };
    return new Proxy(inner, {
      get(target, prop) {
        if (prop === 'replaceDocuments') return replaceDocuments;
        const value = Reflect.get(target, prop, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
  };
  return new Proxy(index, {
    get(target, prop) {
      if (prop === 'forProject') return forProject;
      const value = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
