import type { SQSEvent } from 'aws-lambda';

/** An SQS batch as Lambda receives it, one record per body. */
export function sqsEvent(...bodies: string[]): SQSEvent {
  return {
    Records: bodies.map((body, i) => ({
      messageId: `m-${i}-${Math.random().toString(36).slice(2)}`,
      receiptHandle: 'rh',
      body,
      attributes: {
        ApproximateReceiveCount: '1',
        SentTimestamp: String(Date.now()),
        SenderId: 'AIDA',
        ApproximateFirstReceiveTimestamp: String(Date.now()),
      },
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:oprag-ingest',
      awsRegion: 'us-east-1',
    })),
  };
}

/** An S3 notification (ObjectCreated:Put unless told) as S3 writes it into the queue (keys URL-encoded, spaces as '+'). */
export function s3Notification(bucket: string, key: string, size: number, eventName = 'ObjectCreated:Put'): string {
  const encoded = encodeURIComponent(key).replace(/%2F/g, '/').replace(/%20/g, '+');
  return JSON.stringify({
    Records: [
      {
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        awsRegion: 'us-east-1',
        eventTime: new Date().toISOString(),
        eventName,
        userIdentity: { principalId: 'AWS:AIDA' },
        requestParameters: { sourceIPAddress: '127.0.0.1' },
        responseElements: { 'x-amz-request-id': 'R', 'x-amz-id-2': 'I' },
        s3: {
          s3SchemaVersion: '1.0',
          configurationId: 'drop',
          bucket: { name: bucket, ownerIdentity: { principalId: 'A' }, arn: `arn:aws:s3:::${bucket}` },
          object: { key: encoded, size, eTag: 'e', sequencer: '0' },
        },
      },
    ],
  });
}
