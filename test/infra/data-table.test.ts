import { Match } from 'aws-cdk-lib/assertions';
import { ofType, synth } from './synth';

describe('DataTable', () => {
  it('is one on-demand table keyed pk/sk with gsi1, TTL on ttl and point-in-time recovery', () => {
    const { template, resources } = synth('staging');

    expect(ofType(resources, 'AWS::DynamoDB::Table')).toHaveLength(1);
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      TableName: 'oprag-staging',
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      AttributeDefinitions: Match.arrayWith([
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
        { AttributeName: 'gsi1pk', AttributeType: 'S' },
        { AttributeName: 'gsi1sk', AttributeType: 'S' },
      ]),
      GlobalSecondaryIndexes: [
        {
          IndexName: 'gsi1',
          KeySchema: [
            { AttributeName: 'gsi1pk', KeyType: 'HASH' },
            { AttributeName: 'gsi1sk', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
      TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    });
  });

  it('is encrypted with its own customer-managed key, rotation on', () => {
    const { resources } = synth('staging');
    const [[, table]] = ofType(resources, 'AWS::DynamoDB::Table');

    const sse = table.Properties.SSESpecification;
    expect(sse).toMatchObject({ SSEEnabled: true, SSEType: 'KMS' });
    const keyId = sse.KMSMasterKeyId['Fn::GetAtt'][0];
    expect(resources[keyId].Type).toBe('AWS::KMS::Key');
    expect(resources[keyId].Properties.EnableKeyRotation).toBe(true);
  });

  it('has deletion protection and is retained, with its key, only in production', () => {
    const [[, staging]] = ofType(synth('staging').resources, 'AWS::DynamoDB::Table');
    const production = synth('production');
    const [[, prod]] = ofType(production.resources, 'AWS::DynamoDB::Table');

    expect(staging.Properties.DeletionProtectionEnabled).toBe(false);
    expect(staging.DeletionPolicy).toBe('Delete');
    expect(prod.Properties.DeletionProtectionEnabled).toBe(true);
    expect(prod.DeletionPolicy).toBe('Retain');
    expect(prod.UpdateReplacePolicy).toBe('Retain');
    const keyId = prod.Properties.SSESpecification.KMSMasterKeyId['Fn::GetAtt'][0];
    expect(production.resources[keyId].DeletionPolicy).toBe('Retain');
  });
});
