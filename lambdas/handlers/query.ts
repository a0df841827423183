import { streamingApiHandler } from './api';
import { lambdaStreamingRuntime } from './response-stream';

const runtime = lambdaStreamingRuntime();

/**
 * API Gateway entry of the query function (its routes are mapped in lib/, on a response-streaming
 * integration): `stream: true` chat answers go out event by event, everything else in one piece.
 */
export const handler = runtime.streamifyResponse(streamingApiHandler(runtime));
