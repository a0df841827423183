import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { type AwsClients, type AwsHome, composeAws, makeClients, powertoolsLogger } from './compose';
import { readAwsConfig } from './config';

/**
 * What every function of the AWS home shares: its Powertools logger, metrics and tracer, and the
 * AWS set built once per container. The API functions add the HTTP app (api.ts); the worker does
 * not, so its bundle carries no routes.
 */
export const logger = new Logger();
export const metrics = new Metrics();
export const tracer = new Tracer();

let home: AwsHome | null = null;

/**
 * The AWS set, built on the first invocation of a container and reused by the next ones. A
 * function that needs a client the others do not (the worker: Lambda, to invoke the document
 * reader) adds it through `extra`, so the other functions' bundles never carry that SDK.
 */
export function awsHome(extra: (region: string) => Partial<AwsClients> = () => ({})): AwsHome {
  if (!home) {
    const config = readAwsConfig();
    const clients = { ...makeClients(config), ...extra(config.region) };
    // the SDK clients (the reader's invoke is a function around one, traced where it is made)
    for (const client of Object.values(clients)) if (typeof client === 'object') tracer.captureAWSv3Client(client);
    home = composeAws(config, clients, { logger: powertoolsLogger(logger) });
  }
  return home;
}
