import { Match } from 'aws-cdk-lib/assertions';
import { AlarmTopic } from '../../lib/alarm-topic';
import { IngestBucket } from '../../lib/ingest-bucket';
import { IngestQueue } from '../../lib/ingest-queue';
import { bareStack, type Json, ofType, referencedIds, templateOf } from './synth';

/**
 * The ingest bucket, its queue and the alarm topic on a bare stack, wired as a staging stage
 * wires them; which functions send to the queue and drain it is in test/infra/functions.test.ts,
 * the upload origin a stage gives the bucket without a configured one in dashboard.test.ts.
 */
const stack = bareStack();
const files = new IngestBucket(stack, 'Files', { retain: false, uploadOrigins: ['https://dashboard.example.com'] });
const alarms = new AlarmTopic(stack, 'Alarms', { topicName: 'oprag-staging-alarms' });
const ingest = new IngestQueue(stack, 'Ingest', { namePrefix: 'oprag-staging', alarmTopic: alarms.topic });
files.notifyObjectCreated(ingest.queue);
const { template, resources } = templateOf(stack);

/** The ingest bucket is the versioned one; the other bucket holds its access logs. */
function buckets() {
  const all = ofType(resources, 'AWS::S3::Bucket').filter(([id]) => id.startsWith('Files'));
  const ingest = all.find(([, b]) => b.Properties.VersioningConfiguration)!;
  const logs = all.find(([id]) => id !== ingest[0])!;
  return { ingest, logs, count: all.length };
}

describe('IngestBucket', () => {
  it('is private, versioned, under a customer-managed key, logging to the access-log bucket', () => {
    const { ingest, logs, count } = buckets();
    const [, bucket] = ingest;

    expect(count).toBe(2);
    expect(bucket.Properties.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(bucket.Properties.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    const sse = bucket.Properties.BucketEncryption.ServerSideEncryptionConfiguration[0];
    expect(sse.ServerSideEncryptionByDefault.SSEAlgorithm).toBe('aws:kms');
    const keyId = sse.ServerSideEncryptionByDefault.KMSMasterKeyID['Fn::GetAtt'][0];
    expect(resources[keyId].Properties.EnableKeyRotation).toBe(true);
    expect(bucket.Properties.LoggingConfiguration.DestinationBucketName).toEqual({ Ref: logs[0] });
  });

  it('lets drop/ versions expire and uploads/ objects expire', () => {
    const [, bucket] = buckets().ingest;
    const rules = bucket.Properties.LifecycleConfiguration.Rules;

    expect(rules).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ Prefix: 'drop/', NoncurrentVersionExpiration: { NoncurrentDays: 30 } }),
        expect.objectContaining({ Prefix: 'uploads/', ExpirationInDays: 7 }),
      ]),
    );
  });

  it('expires an uploads/ object larger than 100 MB after a day', () => {
    const [, bucket] = buckets().ingest;
    const rules = bucket.Properties.LifecycleConfiguration.Rules as Record<string, unknown>[];

    const oversized = rules.filter((r) => r.ObjectSizeGreaterThan !== undefined);

    expect(oversized).toEqual([
      expect.objectContaining({
        Id: 'uploads-oversized-expire',
        Prefix: 'uploads/',
        ObjectSizeGreaterThan: 100 * 2 ** 20,
        ExpirationInDays: 1,
        Status: 'Enabled',
      }),
    ]);
  });

  it('accepts presigned upload PUTs and download GETs from the upload origins only, and no browser request on its log bucket', () => {
    const { ingest, logs } = buckets();

    expect(ingest[1].Properties.CorsConfiguration.CorsRules).toEqual([
      expect.objectContaining({
        AllowedMethods: ['PUT', 'GET'],
        AllowedOrigins: ['https://dashboard.example.com'],
        ExposedHeaders: ['content-disposition', 'content-type'],
      }),
    ]);
    expect(logs[1].Properties.CorsConfiguration).toBeUndefined();
    // with no upload origin, no CORS at all
    const none = bareStack();
    new IngestBucket(none, 'Files');
    for (const [, b] of ofType(templateOf(none).resources, 'AWS::S3::Bucket'))
      expect(b.Properties.CorsConfiguration).toBeUndefined();
  });

  it('refuses every request without TLS, on both buckets', () => {
    const { ingest, logs } = buckets();
    for (const [bucketId] of [ingest, logs]) {
      const [[, policy]] = ofType(resources, 'AWS::S3::BucketPolicy').filter(
        ([, p]) => p.Properties.Bucket.Ref === bucketId,
      );
      expect(policy.Properties.PolicyDocument.Statement).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            Effect: 'Deny',
            Action: 's3:*',
            Principal: { AWS: '*' },
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      );
    }
  });

  it('sends object-created events under drop/ and uploads/, and object-removed events under drop/, to the ingest queue', () => {
    const [[queueId]] = ofType(resources, 'AWS::SQS::Queue').filter(([, q]) => q.Properties.RedrivePolicy);
    const [[, notifications]] = ofType(resources, 'Custom::S3BucketNotifications');
    const configs = notifications.Properties.NotificationConfiguration.QueueConfigurations;

    const routes = configs.map((c: Json) => `${c.Events.join(',')} ${c.Filter.Key.FilterRules[0].Value}`).sort();
    expect(routes).toEqual(['s3:ObjectCreated:* drop/', 's3:ObjectCreated:* uploads/', 's3:ObjectRemoved:* drop/']);
    for (const c of configs) expect(referencedIds(c.QueueArn)).toEqual([queueId]);
  });
});

describe('IngestQueue', () => {
  const queues = ofType(resources, 'AWS::SQS::Queue');
  const [[queueId, queue]] = queues.filter(([, q]) => q.Properties.RedrivePolicy);
  const [[dlqId, dlq]] = queues.filter(([id]) => id !== queueId);

  it('is KMS-encrypted and moves a message to the dead-letter queue after 5 receives', () => {
    expect(queues).toHaveLength(2);
    expect(queue.Properties.QueueName).toBe('oprag-staging-ingest');
    expect(queue.Properties.RedrivePolicy).toEqual({
      deadLetterTargetArn: { 'Fn::GetAtt': [dlqId, 'Arn'] },
      maxReceiveCount: 5,
    });
    for (const q of [queue, dlq]) expect(referencedIds(q.Properties.KmsMasterKeyId)).toHaveLength(1);
  });

  it('refuses every request without TLS, on both queues', () => {
    for (const id of [queueId, dlqId]) {
      const [[, policy]] = ofType(resources, 'AWS::SQS::QueuePolicy').filter(([, p]) =>
        referencedIds(p.Properties.Queues).includes(id),
      );
      expect(policy.Properties.PolicyDocument.Statement).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      );
    }
  });

  it('alarms to the alarm topic as soon as one message waits in the dead-letter queue', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [dlqId, 'QueueName'] } }],
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 0,
      AlarmActions: [{ Ref: Match.stringLikeRegexp('^AlarmsTopic') }],
    });
  });
});
