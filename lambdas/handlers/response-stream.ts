import type { ApiResult } from '../http/types';

/**
 * The writable stream Lambda hands a response-streaming function (a Node `Writable` in the
 * runtime); only what the functions use of it.
 */
export interface ResponseStream {
  write(chunk: string | Uint8Array): boolean;
  end(): void;
  once?(event: 'drain' | 'close' | 'error', listener: () => void): unknown;
  destroyed?: boolean;
}

/** What API Gateway reads before the body: the status and headers of the answer. */
export interface HttpResponseMetadata {
  statusCode: number;
  headers?: Record<string, string>;
  cookies?: string[];
}

/**
 * The global `awslambda` of the Lambda Node.js runtime (it has no package), as far as the
 * functions use it: narrower than @types/aws-lambda's declaration, so a test can stand in for it.
 * `streamifyResponse` marks a handler as streaming (the runtime then calls it with
 * `(event, responseStream, context)`); `HttpResponseStream.from` wraps the stream so that the
 * metadata JSON and the 8-byte null delimiter API Gateway expects go out with the first write.
 */
export interface LambdaStreamingRuntime {
  streamifyResponse<H>(handler: H): H;
  HttpResponseStream: { from(stream: ResponseStream, metadata: HttpResponseMetadata): ResponseStream };
}

/** The runtime's `awslambda` global; a function that streams cannot start without it. */
export function lambdaStreamingRuntime(): LambdaStreamingRuntime {
  const runtime = (globalThis as unknown as { awslambda?: LambdaStreamingRuntime }).awslambda;
  if (typeof runtime?.streamifyResponse !== 'function') {
    throw new Error('response streaming needs the Lambda Node.js runtime (its awslambda global is missing)');
  }
  return runtime;
}

/** Writes one piece, waiting while the stream's buffer is full (or until the caller has gone). */
async function writePiece(stream: ResponseStream, piece: string | Uint8Array): Promise<void> {
  if (stream.destroyed) return;
  if (!stream.write(piece) && stream.once) {
    await new Promise<void>((resolve) => {
      stream.once?.('drain', resolve);
      stream.once?.('close', resolve);
      stream.once?.('error', resolve);
    });
  }
}

/** Header values as text: a proxy result may hold numbers and booleans, the metadata may not. */
function textHeaders(headers: ApiResult['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) if (value !== undefined) out[name] = String(value);
  return out;
}

/**
 * Sends the app's result down a Lambda response stream: status and headers first, then a streamed
 * body piece by piece as the app produces it (each Server-Sent Event its own write), or an
 * ordinary body in one write. The stream is read to its end even when the caller has gone, so
 * the answer's audit event is still written.
 */
export async function writeResult(runtime: LambdaStreamingRuntime, raw: ResponseStream, result: ApiResult) {
  const stream = runtime.HttpResponseStream.from(raw, {
    statusCode: result.statusCode,
    headers: textHeaders(result.headers),
  });
  if (result.stream) {
    for await (const piece of result.stream) await writePiece(stream, piece);
  } else {
    // written even when empty: the runtime sends the metadata and delimiter on the first write
    await writePiece(stream, Buffer.from(result.body ?? '', result.isBase64Encoded ? 'base64' : 'utf8'));
  }
  stream.end();
}
