import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { KMS_GRANT_FAMILIES, suppressOn } from './nag-suppressions';

export interface DataTableProps {
  /** Physical table name; it carries the stage so stages can share an account. */
  readonly tableName: string;
  /**
   * Keep the table (and the key that decrypts it) when the stack goes away, and refuse deletes.
   * @default false
   */
  readonly retain?: boolean;
}

/**
 * The one DynamoDB table of the control plane: companies, keys, projects, documents, golden
 * questions, usage and audit, keyed by `COMPANY#`/`PROJECT#` partitions. Audit items expire by TTL.
 */
export class DataTable extends Construct {
  readonly table: dynamodb.Table;
  readonly key: kms.Key;

  constructor(scope: Construct, id: string, props: DataTableProps) {
    super(scope, id);
    const removalPolicy = props.retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;

    this.key = new kms.Key(this, 'Key', {
      description: `Oprag ${props.tableName} table`,
      enableKeyRotation: true,
      removalPolicy,
    });

    this.table = new dynamodb.Table(this, 'Table', {
      tableName: props.tableName,
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: this.key,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: 'ttl',
      deletionProtection: props.retain ?? false,
      removalPolicy,
    });

    this.table.addGlobalSecondaryIndex({
      indexName: 'gsi1',
      partitionKey: { name: 'gsi1pk', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'gsi1sk', type: dynamodb.AttributeType.STRING },
      projectionType: dynamodb.ProjectionType.ALL,
    });
  }

  /** Items and the GSI, read and write (every function keeps audit and usage records). */
  grantReadWriteData(grantee: iam.IGrantable): iam.Grant {
    const grant = this.table.grantReadWriteData(grantee);
    const tableId = Stack.of(this).getLogicalId(this.table.node.defaultChild as dynamodb.CfnTable);
    suppressOn(grantee, [
      {
        id: 'AwsSolutions-IAM5',
        reason:
          'Queries by gsi1 (keys by hash, lists newest first) need the index ARNs, which are <table>/index/<name>; the wildcard stays inside this one table.',
        appliesTo: [`Resource::<${tableId}.Arn>/index/*`],
      },
      KMS_GRANT_FAMILIES,
    ]);
    return grant;
  }
}
