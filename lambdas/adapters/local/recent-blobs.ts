import type { Blob } from './blob-encoding';

type Held = Blob & { at: number; source: Buffer };

/**
 * Blobs just put that their writer said would be read soon, once (a document's original, read by
 * the ingest queue of this same process a moment later), held in memory so that read costs
 * neither a query nor inflating a compressed row. Keyed by project and key, so one project never
 * gets another's; a blob is given out once, and any later put or delete of its key lets it go,
 * so what `get` returns is always what the store holds.
 *
 * Bounded: once `maxBytes` are held, further blobs are not held; one larger than `maxItemBytes`
 * never is; those not read within `maxAgeMs` (a document deleted before its turn) are let go.
 * Whatever is not held is read from the store as before.
 */
export class RecentBlobs {
  private readonly held = new Map<string, Held>();
  private bytes = 0;

  constructor(
    private readonly maxBytes = 16 * 1024 * 1024,
    private readonly now: () => number = Date.now,
    private readonly maxItemBytes = 256 * 1024,
    private readonly maxAgeMs = 60_000,
  ) {}

  /** Holds a blob just written, where there is room. */
  put(projectId: string, key: string, bytes: Buffer, contentType: string): void {
    const at = `${projectId}/${key}`;
    this.drop(at);
    if (bytes.length > this.maxItemBytes) return;
    this.expire();
    if (this.bytes + bytes.length > this.maxBytes) return;
    // a view into a larger buffer (a request body) would hold all of it: such a view is copied,
    // so what is held is the blob's own bytes, or Node's shared pool for a small one
    const own = bytes.buffer.byteLength > Math.max(Buffer.poolSize, 2 * bytes.length);
    this.held.set(at, { bytes: own ? Buffer.from(bytes) : bytes, contentType, at: this.now(), source: bytes });
    this.bytes += bytes.length;
  }

  /** The blob held for this project's key, given out once; null when none is held. */
  take(projectId: string, key: string): Blob | null {
    const at = `${projectId}/${key}`;
    const held = this.held.get(at);
    if (!held) return null;
    this.drop(at);
    return { bytes: held.bytes, contentType: held.contentType };
  }

  /**
   * Lets go of what is held for this project's key (it was written or deleted); with `only`, only
   * while what is held was put from those very bytes (their write failed).
   */
  forget(projectId: string, key: string, only?: Buffer): void {
    const at = `${projectId}/${key}`;
    if (only && this.held.get(at)?.source !== only) return;
    this.drop(at);
  }

  /** Lets go of everything held for the project. */
  forgetProject(projectId: string): void {
    const prefix = `${projectId}/`;
    for (const at of [...this.held.keys()]) if (at.startsWith(prefix)) this.drop(at);
  }

  /** What is held now (tests). */
  get size(): { blobs: number; bytes: number } {
    return { blobs: this.held.size, bytes: this.bytes };
  }

  private drop(at: string) {
    const held = this.held.get(at);
    if (!held) return;
    this.held.delete(at);
    this.bytes -= held.bytes.length;
  }

  /** Lets go of what was held longer than `maxAgeMs` (the oldest come first). */
  private expire() {
    const before = this.now() - this.maxAgeMs;
    for (const [at, held] of this.held) {
      if (held.at >= before) break;
      this.drop(at);
    }
  }
}
