/**
 * What reading one document may cost. The output and inflation bounds are checked by the reader
 * itself (the same on both homes, in or out of a worker thread); memory and wall time are enforced
 * by the worker pool that runs it (lambdas/adapters/parse-pool.ts).
 */
export interface ReadLimits {
  /** heap of the worker thread that reads one document, in MB */
  memoryMb: number;
  /** longest one document may take to read and cut into chunks, in milliseconds */
  timeoutMs: number;
  /** most characters of text one document may yield */
  maxChars: number;
  /** most chunks one document may yield */
  maxChunks: number;
  /** most bytes a DOCX (ZIP) may expand to, all entries together */
  maxInflatedBytes: number;
  /** most entries a DOCX (ZIP) may hold, counted in its central directory itself */
  maxZipEntries: number;
  /** most bytes a PDF's compressed streams may expand to, all together */
  maxPdfStreamBytes: number;
  /** most pages a PDF may have */
  maxPdfPages: number;
}

export const DEFAULT_READ_LIMITS: ReadLimits = {
  // a text file as large as an upload may be (100 MB) still reads: 1 GB of heap, 100 M characters
  memoryMb: 1024,
  timeoutMs: 60_000,
  maxChars: 100_000_000,
  maxChunks: 100_000,
  maxInflatedBytes: 64 * 2 ** 20,
  maxZipEntries: 2_000,
  maxPdfStreamBytes: 64 * 2 ** 20,
  maxPdfPages: 2_000,
};

/** MB, rounded, for messages a customer reads. */
export const mb = (n: number) => Math.round(n / 2 ** 20);
