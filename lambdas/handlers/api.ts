import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import type { Context } from 'aws-lambda';
import { type AppContext, makeApp } from '../http/app';
import type { ApiEvent, ApiResult } from '../http/types';
import type { AwsHome } from './compose';
import { awsHome, logger, metrics, tracer } from './home';
import { type LambdaStreamingRuntime, type ResponseStream, writeResult } from './response-stream';

/** How long an API function waits, after answering, for webhooks it started. */
const WEBHOOK_GRACE_MS = 3000;

/**
 * The app of an API function, built on its first invocation: the very middy app the local server
 * runs, with Powertools' logging, metrics and tracing around it. `streaming` says whether the
 * function hands a streamed body on as it comes (the query function) or collects it into one.
 */
function lazyApp(homeOf: () => AwsHome, streaming: boolean) {
  let app: ReturnType<typeof makeApp> | null = null;
  return () => {
    if (!app) {
      const { services, settings, config, logger: log } = homeOf();
      app = makeApp(services, {
        maxBodyBytes: settings.maxBodyBytes,
        publicUrl: config.publicUrl,
        corsOrigin: config.dashboardOrigin,
        logger: log,
        streaming,
      })
        .use(injectLambdaContext(logger))
        .use(logMetrics(metrics))
        .use(captureLambdaHandler(tracer));
    }
    return app;
  };
}

/**
 * A document processed inline (`?wait=true`) has its webhook in flight; Lambda freezes the
 * container once the handler returns, so give it a short, bounded moment (the worker waits in full).
 */
async function settleWebhooks(homeOf: () => AwsHome, context: Context) {
  const budget = Math.min(WEBHOOK_GRACE_MS, (context.getRemainingTimeInMillis?.() ?? WEBHOOK_GRACE_MS) - 1000);
  await homeOf().services.webhooks.idle(budget);
}

/**
 * An API Gateway function behind a buffered Lambda proxy integration. The control, documents and
 * query functions run this same app; API Gateway sends each only its own routes. API Gateway's
 * request id is the request's one id: in the answer (`x-request-id`, error bodies, chat answers),
 * its audit event and, as `request_id`, every log line of the invocation.
 */
export function apiHandler(homeOf: () => AwsHome = awsHome) {
  const app = lazyApp(homeOf, false);
  return async (event: ApiEvent, context: Context): Promise<ApiResult> => {
    logger.appendKeys({ request_id: event.requestContext?.requestId });
    const result = await app()(event, context as AppContext);
    await settleWebhooks(homeOf, context);
    return result;
  };
}

/**
 * The same app behind a response-streaming integration (API Gateway invokes the function with
 * InvokeWithResponseStream): every answer goes down the response stream, its status and headers
 * first; a streamed chat answer piece by piece as it is produced, any other answer in one write.
 * Wrap it with the runtime's `awslambda.streamifyResponse`. (middy's own streamifyResponse mode
 * would need the runtime global when the app is built and a Node stream as the body; this keeps
 * the app the one the other functions and the local server run, built on the first invocation.)
 */
export function streamingApiHandler(runtime: LambdaStreamingRuntime, homeOf: () => AwsHome = awsHome) {
  const app = lazyApp(homeOf, true);
  return async (event: ApiEvent, responseStream: ResponseStream, context: Context): Promise<void> => {
    logger.appendKeys({ request_id: event.requestContext?.requestId });
    const result = await app()(event, context as AppContext);
    await writeResult(runtime, responseStream, result);
    await settleWebhooks(homeOf, context);
  };
}
