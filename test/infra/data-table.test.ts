import { Match } from 'aws-cdk-lib/assertions';
import { DataTable } from '../../lib/data-table';
import { bareStack, ofType, templateOf } from './synth';

/** The table alone on a bare stack, as a stage builds it (`oprag-<stage>`, retained in production). */
function table(retain?: boolean) {
  const stack = bareStack();
  new DataTable(stack, 'Data', { tableName: 'oprag-staging', retain });
  return templateOf(stack);
}

describe('DataTable', () => {
  const staging = table(false);
  const production = table(true);

  it('is one on-demand table keyed pk/sk with gsi1, TTL on ttl and point-in-time recovery', () => {
    const { template, resources } = staging;

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
    const { resources } = staging;
    const [[, table]] = ofType(resources, 'AWS::DynamoDB::Table');

    const sse = table.Properties.SSESpecification;
    expect(sse).toMatchObject({ SSEEnabled: true, SSEType: 'KMS' });
    const keyId = sse.KMSMasterKeyId['Fn::GetAtt'][0];
    expect(resources[keyId].Type).toBe('AWS::KMS::Key');
    expect(resources[keyId].Properties.EnableKeyRotation).toBe(true);
  });

  it('has deletion protection and is retained, with its key, only in production', () => {
    const [[, staged]] = ofType(staging.resources, 'AWS::DynamoDB::Table');
    const [[, prod]] = ofType(production.resources, 'AWS::DynamoDB::Table');

    expect(staged.Properties.DeletionProtectionEnabled).toBe(false);
    expect(staged.DeletionPolicy).toBe('Delete');
    expect(prod.Properties.DeletionProtectionEnabled).toBe(true);
    expect(prod.DeletionPolicy).toBe('Retain');
    expect(prod.UpdateReplacePolicy).toBe('Retain');
    const keyId = prod.Properties.SSESpecification.KMSMasterKeyId['Fn::GetAtt'][0];
    expect(production.resources[keyId].DeletionPolicy).toBe('Retain');
  });
});
