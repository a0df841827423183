import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { NagSuppressions } from 'cdk-nag';
import type { Construct } from 'constructs';

export interface AccessLogsBucketProps {
  /** what writes its logs here, for the reason given to cdk-nag */
  readonly logsOf: string;
  readonly retain?: boolean;
  /** @default 365 */
  readonly days?: number;
  /**
   * CloudFront's standard logs arrive with an object ACL and need ACLs enabled
   * (BUCKET_OWNER_PREFERRED); S3 server access logs do not.
   * @default BUCKET_OWNER_ENFORCED
   */
  readonly objectOwnership?: s3.ObjectOwnership;
}

/**
 * A bucket that receives access logs: private, TLS only, SSE-S3 (S3 server access logging
 * delivers only to SSE-S3 buckets), logs expired after `days`. It is not itself logged.
 */
export function accessLogsBucket(scope: Construct, id: string, props: AccessLogsBucketProps): s3.Bucket {
  const bucket = new s3.Bucket(scope, id, {
    encryption: s3.BucketEncryption.S3_MANAGED,
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    objectOwnership: props.objectOwnership ?? s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
    enforceSSL: true,
    lifecycleRules: [{ id: 'expire-access-logs', expiration: Duration.days(props.days ?? 365) }],
    removalPolicy: props.retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    autoDeleteObjects: !props.retain,
  });
  NagSuppressions.addResourceSuppressions(bucket, [
    {
      id: 'AwsSolutions-S1',
      reason: `This bucket is the destination of the ${props.logsOf}; logging it into itself would loop and logging it elsewhere only moves the question one bucket further.`,
    },
  ]);
  return bucket;
}
