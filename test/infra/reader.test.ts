import { asArray, type Json, ofType, opragFunctions, renderJoin, roleOf, statementsOf, synth } from './synth';

const { resources } = synth('staging');
const fns = opragFunctions(resources);
const reader = fns.get('reader')!;
const worker = fns.get('worker')!;
const [[bucketId, bucket]] = ofType(resources, 'AWS::S3::Bucket').filter(([, b]) =>
  JSON.stringify(b.Properties.BucketName ?? '').includes('-files-'),
);

/** A role's statements but for its logs and traces, which every function has. */
const rights = (fn: { props: Json }) =>
  statementsOf(resources, roleOf(fn)).filter(
    (s) => !asArray(s.Action).every((a: string) => a.startsWith('logs:') || a.startsWith('xray:')),
  );
const actionsOf = (fn: { props: Json }) => [...new Set(rights(fn).flatMap((s) => asArray(s.Action)))].sort();

describe('the document reader function runs under a role of its own', () => {
  it('holds no table, index, model, queue or function right', () => {
    const actions = actionsOf(reader);

    for (const service of ['dynamodb:', 'aoss:', 'bedrock:', 'sqs:', 'lambda:', 'sns:'])
      expect(actions.filter((a) => a.startsWith(service))).toEqual([]);
    expect(actions).toEqual(['kms:Decrypt', 'kms:GenerateDataKey', 's3:GetObject', 's3:PutObject']);
  });

  it('reads only the originals and writes only below parsed/, in the one bucket', () => {
    const objects = (action: string) =>
      rights(reader)
        .filter((s) => asArray(s.Action).includes(action))
        .flatMap((s) => asArray(s.Resource).map(renderJoin));

    expect(objects('s3:GetObject')).toEqual([`<${bucketId}>/projects/*/originals/*`]);
    expect(objects('s3:PutObject')).toEqual([`<${bucketId}>/parsed/*`]);
    // no listing (a missing original is simply refused), no deletes
    expect(actionsOf(reader)).not.toContain('s3:ListBucket');
    expect(actionsOf(reader)).not.toContain('s3:DeleteObject');
  });

  it('is told only its stage and bucket: no table, queue, collection or model names', () => {
    const oprag = Object.keys(reader.props.Environment.Variables)
      .filter((k) => k.startsWith('OPRAG_'))
      .sort();

    expect(oprag).toEqual(['OPRAG_BUCKET_NAME', 'OPRAG_STAGE']);
    expect(reader.props.Timeout).toBe(300);
    expect(reader.props.Timeout).toBeLessThan(worker.props.Timeout);
  });

  it('may be invoked by the worker alone, which is told its name', () => {
    const invokes = (fn: { props: Json }) =>
      rights(fn).filter((s) => asArray(s.Action).some((a: string) => a.startsWith('lambda:')));

    expect(invokes(worker)).toEqual([
      expect.objectContaining({
        Action: 'lambda:InvokeFunction',
        Effect: 'Allow',
        Resource: { 'Fn::GetAtt': [reader.id, 'Arn'] },
      }),
    ]);
    for (const name of ['control', 'documents', 'query']) expect(invokes(fns.get(name)!)).toEqual([]);
    expect(worker.props.Environment.Variables.OPRAG_READER_FUNCTION).toEqual({ Ref: reader.id });
  });

  it('leaves nothing below parsed/ for more than a day', () => {
    const rule = bucket.Properties.LifecycleConfiguration.Rules.find((r: Json) => r.Id === 'parsed-expire');

    expect(rule).toMatchObject({
      Prefix: 'parsed/',
      Status: 'Enabled',
      ExpirationInDays: 1,
      NoncurrentVersionExpiration: { NoncurrentDays: 1 },
    });
  });
});
