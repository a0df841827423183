import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import type { Context } from 'aws-lambda';
import { type AppContext, makeApp } from '../http/app';
import type { ApiEvent, ApiResult } from '../http/types';
import { type AwsHome, composeAws, makeClients, powertoolsLogger } from './compose';
import { readAwsConfig } from './config';

export const logger = new Logger();
export const metrics = new Metrics();
export const tracer = new Tracer();

let home: AwsHome | null = null;

/** How long an API function waits, after answering, for webhooks it started. */
const WEBHOOK_GRACE_MS = 3000;

/** The AWS set, built on the first invocation of a container and reused by the next ones. */
export function awsHome(): AwsHome {
  if (!home) {
    const config = readAwsConfig();
    const clients = makeClients(config);
    for (const client of Object.values(clients)) tracer.captureAWSv3Client(client);
    home = composeAws(config, clients, { logger: powertoolsLogger(logger) });
  }
  return home;
}

/**
 * An API Gateway function: the very middy app the local server runs, with Powertools' logging,
 * metrics and tracing around it. The control, documents and query functions are this same app;
 * API Gateway sends each only its own routes. API Gateway's request id is the request's one id:
 * in the answer (`x-request-id`, error bodies, chat answers), its audit event and, as
 * `request_id`, every log line of the invocation.
 */
export function apiHandler(homeOf: () => AwsHome = awsHome) {
  let app: ReturnType<typeof makeApp> | null = null;
  return async (event: ApiEvent, context: Context): Promise<ApiResult> => {
    if (!app) {
      const { services, settings, config, logger: log } = homeOf();
      app = makeApp(services, {
        maxBodyBytes: settings.maxBodyBytes,
        publicUrl: config.publicUrl,
        corsOrigin: config.dashboardOrigin,
        logger: log,
      })
        .use(injectLambdaContext(logger))
        .use(logMetrics(metrics))
        .use(captureLambdaHandler(tracer));
    }
    logger.appendKeys({ request_id: event.requestContext?.requestId });
    const result = await app(event, context as AppContext);
    // a document processed inline (`?wait=true`) has its webhook in flight; Lambda freezes the
    // container once this returns, so give it a short, bounded moment (the worker waits in full)
    const budget = Math.min(WEBHOOK_GRACE_MS, (context.getRemainingTimeInMillis?.() ?? WEBHOOK_GRACE_MS) - 1000);
    await homeOf().services.webhooks.idle(budget);
    return result;
  };
}
