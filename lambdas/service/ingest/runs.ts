/**
 * Runs of documents kept from overlapping, where every run happens in one process (the embedded
 * home: its ingest queue and the requests that process a document themselves). A run waits for
 * the earlier runs holding any of its documents, then holds them until it has settled them.
 *
 * What this spares: a run no longer needs to mark its documents `processing` to tell another run
 * it is writing them (prepare.ts). When a run finds its version replaced (commit.ts `standDown`),
 * the newer version, still `queued`, cannot be written by a run of its own meanwhile: that run
 * waits here for this one, then writes over it.
 *
 * Waits only point at runs that began earlier, so no two runs ever wait for each other.
 */
export class DocumentRuns {
  /** the latest run holding each document, by project and document id */
  private readonly latest = new Map<string, Promise<void>>();

  async exclusive<T>(projectId: string, documentIds: string[], run: () => Promise<T>): Promise<T> {
    const keys = [...new Set(documentIds.map((id) => `${projectId}/${id}`))];
    const earlier = new Set<Promise<void>>();
    for (const key of keys) {
      const held = this.latest.get(key);
      if (held) earlier.add(held);
    }
    let release = () => {};
    const done = new Promise<void>((resolve) => {
      release = resolve;
    });
    for (const key of keys) this.latest.set(key, done);
    try {
      if (earlier.size > 0) await Promise.all(earlier);
      return await run();
    } finally {
      for (const key of keys) if (this.latest.get(key) === done) this.latest.delete(key);
      release();
    }
  }

  /** Documents held or waited for (tests). */
  get size(): number {
    return this.latest.size;
  }
}
