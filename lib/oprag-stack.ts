import { CfnOutput, Duration, Lazy, Stack, type StackProps } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { AlarmTopic } from './alarm-topic';
import { BedrockModels } from './bedrock-models';
import type { OpragConfig } from './config';
import { DashboardHosting } from './dashboard-hosting';
import { DataTable } from './data-table';
import { DocumentReadersLayer } from './document-readers-layer';
import { IngestBucket } from './ingest-bucket';
import { IngestQueue } from './ingest-queue';
import { suppressStackLevelFindings } from './nag-suppressions';
import { OpragApi } from './oprag-api';
import { OpragFunction } from './oprag-function';
import { StageAlarms } from './stage-alarms';
import { StageFirewall } from './stage-firewall';
import { VectorCollectionPool } from './vector-collections';

/** The ingest worker may take this long on one batch (large PDFs: extract, embed, index). */
const WORKER_TIMEOUT = Duration.minutes(10);
/**
 * The document reader function may take this long on one file: the read deadline (60 s by
 * default, OPRAG_READ_TIMEOUT_MS) with room for fetching the original and writing the result.
 */
const READER_TIMEOUT = Duration.minutes(5);
/** How often the worker sweeps for stuck documents and unfinished removals. */
const SWEEP_EVERY = Duration.minutes(5);
/** What the sweep rule sends the worker (lambdas/handlers/worker.ts SWEEP_EVENT). */
const SWEEP_EVENT = { oprag: 'sweep' };

/**
 * How long the query function may answer, and API Gateway waits for its streamed answer: a long
 * generated answer, within the 15 minutes a streamed integration allows.
 */
const QUERY_TIMEOUT = Duration.minutes(2);

export interface OpragStackProps extends StackProps {
  readonly config: OpragConfig;
}

/**
 * One stage of Oprag: API Gateway → Lambda → DynamoDB, OpenSearch Serverless, S3, SQS, Bedrock.
 * Every physical name carries the stage, so staging and production share an account.
 */
export class OpragStack extends Stack {
  readonly api: OpragApi;
  readonly dashboard: DashboardHosting;
  readonly files: IngestBucket;
  readonly functions: Record<'control' | 'documents' | 'query' | 'worker' | 'reader', OpragFunction>;

  constructor(scope: Construct, id: string, props: OpragStackProps) {
    const { config } = props;
    const production = config.stage === 'production';
    super(scope, id, {
      description: `Oprag ${config.stage}: tenant-isolated cited answers over each customer's documents`,
      terminationProtection: production,
      ...props,
    });
    const prefix = `oprag-${config.stage}`;
    const logSettings = {
      retention: production ? logs.RetentionDays.SIX_MONTHS : logs.RetentionDays.ONE_MONTH,
      retain: production,
    };

    // the dashboard reaches the API created below: its URL and origin are filled in at synthesis
    // named, so the dashboard's CSP can name its origin (the bucket's CORS rule names the dashboard)
    const filesBucketName = `${prefix}-files-${this.account}-${this.region}`;
    const dashboard = new DashboardHosting(this, 'Dashboard', {
      stage: config.stage,
      apiUrl: Lazy.string({ produce: () => this.api.url }),
      apiOrigin: Lazy.string({
        produce: () => `https://${this.api.api.restApiId}.execute-api.${this.region}.${this.urlSuffix}`,
      }),
      // presigned upload URLs are virtual-hosted: https://<bucket>.s3.<region>.amazonaws.com/...
      uploadOrigin: `https://${filesBucketName}.s3.${this.region}.${this.urlSuffix}`,
      retain: production,
    });
    this.dashboard = dashboard;
    // the browser origin the API and presigned uploads answer: the distribution's own, unless the
    // operator serves the dashboard from another origin (context dashboardOrigin)
    const dashboardOrigin = config.dashboardOrigin ?? dashboard.origin;

    const data = new DataTable(this, 'Data', { tableName: prefix, retain: production });
    const files = new IngestBucket(this, 'Files', {
      retain: production,
      uploadOrigins: [dashboardOrigin],
      bucketName: filesBucketName,
    });
    this.files = files;
    const alarms = new AlarmTopic(this, 'Alarms', { topicName: `${prefix}-alarms`, retain: production });
    const ingest = new IngestQueue(this, 'Ingest', {
      namePrefix: prefix,
      alarmTopic: alarms.topic,
      visibilityTimeout: Duration.seconds(WORKER_TIMEOUT.toSeconds() * 6),
      retain: production,
    });
    files.notifyObjectCreated(ingest.queue);
    const search = new VectorCollectionPool(this, 'Search', {
      namePrefix: prefix,
      size: config.collectionPoolSize,
      standbyReplicas: production,
      retain: production,
      operatorPrincipal: config.operatorPrincipal,
    });
    const models = new BedrockModels(this, {
      embed: config.embedModelId,
      generate: config.generateModelId,
      profileRegions: config.modelProfileRegions,
    });

    const environment: Record<string, string> = {
      OPRAG_STAGE: config.stage,
      OPRAG_TABLE_NAME: data.table.tableName,
      OPRAG_BUCKET_NAME: files.bucket.bucketName,
      OPRAG_INGEST_QUEUE_URL: ingest.queue.queueUrl,
      OPRAG_COLLECTIONS: search.endpointsJson(),
      OPRAG_INDEX_CAP: String(config.indexCapPerCollection),
      OPRAG_EMBED_MODEL_ID: config.embedModelId,
      OPRAG_EMBED_DIMENSIONS: String(config.embedDimensions),
      OPRAG_GENERATE_MODEL_ID: config.generateModelId,
      OPRAG_AUDIT_TTL_DAYS: String(config.auditTtlDays),
      OPRAG_DASHBOARD_ORIGIN: dashboardOrigin,
      OPRAG_MAX_PROJECTS_PER_COMPANY: String(config.maxProjectsPerCompany),
    };
    const readers = new DocumentReadersLayer(this, 'DocumentReaders', { stage: config.stage });
    const fn = (
      name: string,
      extra: {
        timeout?: Duration;
        memorySize?: number;
        layers?: lambda.ILayerVersion[];
        environment?: Record<string, string>;
      } = {},
    ) =>
      new OpragFunction(this, `${name[0].toUpperCase()}${name.slice(1)}Function`, {
        stage: config.stage,
        name,
        environment,
        logs: logSettings,
        ...extra,
      });
    const control = fn('control');
    const documents = fn('documents', { memorySize: 1536, layers: [readers.layer] });
    // chat answers stream through API Gateway (see OpragApi's `streamed`), so the query function
    // may take longer than the 29 seconds a buffered integration waits
    const query = fn('query', { timeout: QUERY_TIMEOUT });
    // the document reader: parses the worker's untrusted files under a role of its own; it is told
    // only its stage and bucket (no table, queue, collection or model names)
    const reader = fn('reader', {
      timeout: READER_TIMEOUT,
      memorySize: 2048,
      layers: [readers.layer],
      environment: { OPRAG_STAGE: config.stage, OPRAG_BUCKET_NAME: files.bucket.bucketName },
    });
    const worker = fn('worker', {
      timeout: WORKER_TIMEOUT,
      memorySize: 2048,
      layers: [readers.layer],
      environment: { ...environment, OPRAG_READER_FUNCTION: reader.function.functionName },
    });
    this.functions = { control, documents, query, worker, reader };

    // Each role holds the actions its code calls (docs/security.md, "What each function may do").
    // control plane: projects, keys, usage, audit, export, purge, golden questions; the only
    // function that creates and drops project indexes and batch-deletes a project's records
    data.grantItemAccess(control.role, { purges: true });
    files.grantProjectCleanup(control.role);
    // golden runs and export jobs go to the worker on the ingest queue
    ingest.grantSendMessages(control.role);
    search.grantIndexAccess(control.role, 'manage');
    models.grantEmbed(control.role);
    models.grantGenerate(control.role);

    // documents and uploads: originals, presigned upload URLs, ingest jobs; it reads untrusted
    // files (?wait=true), so it writes chunks of an existing index and deletes single records only
    data.grantItemAccess(documents.role, { deletes: true });
    files.grantDocumentAccess(documents.role);
    ingest.grantSendMessages(documents.role);
    search.grantIndexAccess(documents.role, 'readWrite');
    models.grantEmbed(documents.role);

    // retrieve and chat: reads, plus the records every request leaves (audit, usage, key use, rate windows)
    data.grantItemAccess(query.role);
    search.grantIndexAccess(query.role, 'read');
    models.grantEmbed(query.role);
    models.grantGenerate(query.role);

    // worker: drops, uploads, queued documents, golden runs and exports (written under projects/);
    // it reads untrusted files, so like the documents function it creates and drops no index
    data.grantItemAccess(worker.role, { deletes: true });
    files.grantIngest(worker.role);
    search.grantIndexAccess(worker.role, 'readWrite');
    models.grantEmbed(worker.role);
    // golden runs: the worker answers their questions, and sends a waiting run back to the queue
    models.grantGenerate(worker.role);
    ingest.grantSendMessages(worker.role);
    ingest.addConsumer(worker.function, { batchSize: 2, maxConcurrency: 5 });
    // removals the API queued: a document's files, a purged project's every prefix
    files.grantProjectCleanup(worker.role);
    // the worker hands untrusted files to the reader function, and takes back its large results
    iam.Grant.addToPrincipal({
      grantee: worker.role,
      actions: ['lambda:InvokeFunction'],
      resourceArns: [reader.function.functionArn],
    });
    files.grantParsedResults(worker.role);

    // reader: reads originals and writes parsed/ results, nothing else: no table, index, model or
    // queue right, so a file that escapes the parser finds no credentials worth having
    files.grantDocumentReading(reader.role);
    // the sweep: documents stuck queued or processing, and removals a lost message left unfinished
    new events.Rule(this, 'Sweep', {
      description: 'Queues again stuck documents and unfinished removals',
      schedule: events.Schedule.rate(SWEEP_EVERY),
      targets: [new targets.LambdaFunction(worker.function, { event: events.RuleTargetInput.fromObject(SWEEP_EVENT) })],
    });

    this.api = new OpragApi(this, 'Api', {
      stage: config.stage,
      functions: { control: control.function, documents: documents.function, query: query.function },
      // the query function answers through Lambda response streaming: API Gateway waits for it as
      // long as the function may run
      streamed: { query: QUERY_TIMEOUT },
      throttle: { rateLimit: config.throttleRateLimit, burstLimit: config.throttleBurstLimit },
      dashboardOrigin,
      logs: logSettings,
    });

    new StageFirewall(this, 'Firewall', {
      stage: config.stage,
      apiStage: this.api.api.deploymentStage,
      limits: {
        perKeyPerMinute: config.edgeKeyPerMinute,
        anonymousPerAddressPerMinute: config.edgeAnonymousPerMinute,
        perAddressPerMinute: config.edgeAddressPerMinute,
      },
    });
    new StageAlarms(this, 'Monitoring', {
      namePrefix: prefix,
      namespace: `Oprag/${config.stage}`,
      topic: alarms.topic,
      api: this.api.api,
      functions: {
        control: control.function,
        documents: documents.function,
        query: query.function,
        worker: worker.function,
        reader: reader.function,
      },
      poolLog: control.logGroup,
      poolCapacity: config.collectionPoolSize * config.indexCapPerCollection,
    });

    suppressStackLevelFindings(this);

    new CfnOutput(this, 'ApiUrl', { value: this.api.url, description: 'Base URL of the Oprag API (append v1/...)' });
    new CfnOutput(this, 'DashboardUrl', { value: dashboard.url, description: 'The web dashboard (CloudFront)' });
    new CfnOutput(this, 'BucketName', {
      value: files.bucket.bucketName,
      description: 'Ingest bucket (drop/<project_id>/)',
    });
    new CfnOutput(this, 'TableName', { value: data.table.tableName });
    new CfnOutput(this, 'CollectionEndpoints', { value: search.endpointsJson() });
    new CfnOutput(this, 'AlarmTopicArn', { value: alarms.topic.topicArn, description: 'Subscribe operators here' });
    new CfnOutput(this, 'DeadLetterQueueUrl', { value: ingest.deadLetterQueue.queueUrl });
  }
}
