import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sources from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { KMS_GRANT_FAMILIES, suppressOn } from './nag-suppressions';

export interface IngestQueueProps {
  /** Prefix of the queue names; it carries the stage. */
  readonly namePrefix: string;
  /**
   * How long a received message stays hidden. Lambda requires at least the worker's timeout; AWS
   * advises six times it, so throttled batches are not retried while still running.
   * @default Duration.minutes(60)
   */
  readonly visibilityTimeout?: Duration;
  /**
   * Receives before a message moves to the dead-letter queue.
   * @default 5
   */
  readonly maxReceiveCount?: number;
  /** Where the dead-letter alarm notifies. */
  readonly alarmTopic: sns.ITopic;
  /**
   * Keep the key when the stack goes away.
   * @default false
   */
  readonly retain?: boolean;
}

/**
 * The ingest queue: S3 notifications for drops and uploads, and the ingest jobs the documents
 * function sends. A message that keeps failing lands in the dead-letter queue, which alarms.
 */
export class IngestQueue extends Construct {
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;
  readonly deadLetterAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: IngestQueueProps) {
    super(scope, id);
    const key = new kms.Key(this, 'Key', {
      description: `Oprag ${props.namePrefix} ingest queues`,
      enableKeyRotation: true,
      removalPolicy: props.retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      queueName: `${props.namePrefix}-ingest-dlq`,
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: key,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });

    this.queue = new sqs.Queue(this, 'Queue', {
      queueName: `${props.namePrefix}-ingest`,
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: key,
      enforceSSL: true,
      visibilityTimeout: props.visibilityTimeout ?? Duration.minutes(60),
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: props.maxReceiveCount ?? 5 },
    });

    this.deadLetterAlarm = new cloudwatch.Alarm(this, 'DeadLetterAlarm', {
      alarmName: `${props.namePrefix}-ingest-dead-letters`,
      alarmDescription:
        'Ingest messages failed every retry and wait in the dead-letter queue: inspect them, fix the cause, redrive.',
      metric: this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(1),
        statistic: cloudwatch.Stats.MAXIMUM,
      }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.deadLetterAlarm.addAlarmAction(new actions.SnsAction(props.alarmTopic));
  }

  /** Ingest jobs queued by the documents function. */
  grantSendMessages(grantee: iam.IGrantable): iam.Grant {
    const grant = this.queue.grantSendMessages(grantee);
    suppressOn(grantee, [KMS_GRANT_FAMILIES]);
    return grant;
  }

  /** The worker consumes the queue, reporting failed items one by one so the rest of a batch is kept. */
  addConsumer(worker: lambda.IFunction, options: { batchSize: number; maxConcurrency: number }): void {
    worker.addEventSource(
      new sources.SqsEventSource(this.queue, {
        batchSize: options.batchSize,
        maxConcurrency: options.maxConcurrency,
        reportBatchItemFailures: true,
      }),
    );
  }
}
