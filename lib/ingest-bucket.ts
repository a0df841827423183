import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3n from 'aws-cdk-lib/aws-s3-notifications';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { suppressOn } from './nag-suppressions';

/** Object key prefixes of the ingest bucket (see API.md, "Ingestion paths"). */
export const PREFIXES = {
  /** `drop/<project_id>/...`: files an operator or a sync job drops; the key is the external_id */
  drop: 'drop/',
  /** `uploads/...`: bytes PUT to a presigned URL, moved under the project by the worker */
  uploads: 'uploads/',
  /** `projects/<project_id>/...`: the originals of a project's documents */
  projects: 'projects/',
} as const;

export interface IngestBucketProps {
  /**
   * Keep both buckets and the key when the stack goes away; otherwise they are emptied and deleted.
   * @default false
   */
  readonly retain?: boolean;
  /**
   * Days a replaced or deleted version of a dropped file stays recoverable.
   * @default 30
   */
  readonly dropNoncurrentDays?: number;
  /**
   * Days an upload's landing copy may wait for the worker before it expires.
   * @default 7
   */
  readonly uploadExpiryDays?: number;
  /**
   * Browser origins that may PUT to presigned upload URLs (the dashboard).
   * @default none: only non-browser clients upload
   */
  readonly uploadOrigins?: string[];
  /**
   * Days server access logs are kept.
   * @default 365
   */
  readonly accessLogDays?: number;
}

/**
 * The ingest bucket (drops, uploads, project originals): private, TLS only, under its own key,
 * versioned, with server access logs in a second bucket.
 */
export class IngestBucket extends Construct {
  readonly bucket: s3.Bucket;
  readonly logsBucket: s3.Bucket;
  readonly key: kms.Key;

  constructor(scope: Construct, id: string, props: IngestBucketProps = {}) {
    super(scope, id);
    const removalPolicy = props.retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    const autoDeleteObjects = !props.retain;

    this.logsBucket = new s3.Bucket(this, 'AccessLogs', {
      // S3 server access logging delivers only to SSE-S3 buckets, not SSE-KMS
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      lifecycleRules: [{ id: 'expire-access-logs', expiration: Duration.days(props.accessLogDays ?? 365) }],
      removalPolicy,
      autoDeleteObjects,
    });
    NagSuppressions.addResourceSuppressions(this.logsBucket, [
      {
        id: 'AwsSolutions-S1',
        reason:
          'This bucket is the destination of the ingest bucket server access logs; logging it into itself would loop and logging it elsewhere only moves the question one bucket further.',
      },
    ]);

    this.key = new kms.Key(this, 'Key', {
      description: 'Oprag ingest bucket',
      enableKeyRotation: true,
      removalPolicy,
    });

    this.bucket = new s3.Bucket(this, 'Bucket', {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: this.key,
      bucketKeyEnabled: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      versioned: true,
      serverAccessLogsBucket: this.logsBucket,
      serverAccessLogsPrefix: 'ingest/',
      lifecycleRules: [
        {
          id: 'drop-noncurrent-versions',
          prefix: PREFIXES.drop,
          noncurrentVersionExpiration: Duration.days(props.dropNoncurrentDays ?? 30),
        },
        {
          id: 'uploads-expire',
          prefix: PREFIXES.uploads,
          expiration: Duration.days(props.uploadExpiryDays ?? 7),
          noncurrentVersionExpiration: Duration.days(1),
        },
        {
          // a purged project's originals must not linger as old versions for long
          id: 'projects-noncurrent-versions',
          prefix: PREFIXES.projects,
          noncurrentVersionExpiration: Duration.days(7),
        },
        { id: 'abort-incomplete-multipart', abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
      cors: props.uploadOrigins?.length
        ? [
            {
              allowedOrigins: props.uploadOrigins,
              allowedMethods: [s3.HttpMethods.PUT],
              // the headers the upload answer lists (content type, and the SDK's checksum headers)
              allowedHeaders: ['*'],
              maxAge: 3600,
            },
          ]
        : undefined,
      removalPolicy,
      autoDeleteObjects,
    });
  }

  /** Sends object-created events under `drop/` and `uploads/` to the queue the worker reads. */
  notifyObjectCreated(queue: sqs.IQueue): void {
    const destination = new s3n.SqsDestination(queue);
    for (const prefix of [PREFIXES.drop, PREFIXES.uploads]) {
      this.bucket.addEventNotification(s3.EventType.OBJECT_CREATED, destination, { prefix });
    }
  }

  /** Export and purge: read and delete everything a project may have left in the bucket. */
  grantProjectCleanup(grantee: iam.IGrantable): void {
    for (const prefix of Object.values(PREFIXES)) this.grantObjects(grantee, prefix, ['read', 'delete']);
  }

  /** Document routes: originals under `projects/`, and presigned PUTs into `uploads/`. */
  grantDocumentAccess(grantee: iam.IGrantable): void {
    this.grantObjects(grantee, PREFIXES.projects, ['read', 'write', 'delete']);
    this.grantObjects(grantee, PREFIXES.uploads, ['write']);
  }

  /** The worker: reads what landed, files originals under `projects/`, removes landed uploads. */
  grantIngest(grantee: iam.IGrantable): void {
    this.grantObjects(grantee, PREFIXES.drop, ['read']);
    this.grantObjects(grantee, PREFIXES.uploads, ['read', 'delete']);
    this.grantObjects(grantee, PREFIXES.projects, ['read', 'write', 'delete']);
  }

  /**
   * Exactly the object actions the adapters call, below one prefix. Reading also lists the bucket,
   * so a missing object answers 404 rather than 403; writing needs a data key of the bucket key.
   */
  private grantObjects(grantee: iam.IGrantable, prefix: string, access: ObjectAccess[]): void {
    const actions = access.map((a) => OBJECT_ACTIONS[a]);
    iam.Grant.addToPrincipal({ grantee, actions, resourceArns: [this.bucket.arnForObjects(`${prefix}*`)] });
    if (access.includes('read')) {
      iam.Grant.addToPrincipal({ grantee, actions: ['s3:ListBucket'], resourceArns: [this.bucket.bucketArn] });
      this.key.grant(grantee, 'kms:Decrypt');
    }
    if (access.includes('write')) this.key.grant(grantee, 'kms:GenerateDataKey');
    const objectsArn = `Resource::<${Stack.of(this).getLogicalId(this.bucket.node.defaultChild as s3.CfnBucket)}.Arn>/${prefix}*`;
    suppressOn(grantee, [
      {
        id: 'AwsSolutions-IAM5',
        reason: `Object keys below ${prefix} are created at run time (project ids, document ids, file names), so the grant names the prefix of this one bucket, never the whole bucket.`,
        appliesTo: [objectsArn],
      },
    ]);
  }
}

type ObjectAccess = 'read' | 'write' | 'delete';
const OBJECT_ACTIONS: Record<ObjectAccess, string> = {
  read: 's3:GetObject',
  write: 's3:PutObject',
  delete: 's3:DeleteObject',
};
