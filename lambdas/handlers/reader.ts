/**
 * The document reader function: parses one untrusted file for the worker, in the same pool of
 * worker threads (heap limit, deadline) the worker used to run itself. Its role may only read
 * originals (`projects/<project_id>/originals/*`) and write `parsed/*`: a file that escapes the
 * parser finds no credentials for the table, the indexes, the models or the queue.
 */
import { composeReader, type ReaderRequest, type ReaderResponse } from './compose-reader';

let live: ReturnType<typeof composeReader> | undefined;

export const handler = (event: ReaderRequest): Promise<ReaderResponse> => {
  live ??= composeReader();
  return live(event);
};
