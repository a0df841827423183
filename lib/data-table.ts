import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
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
      indexName: GSI,
      partitionKey: { name: 'gsi1pk', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'gsi1sk', type: dynamodb.AttributeType.STRING },
      projectionType: dynamodb.ProjectionType.ALL,
    });
  }

  /**
   * The item actions a function's code calls, and nothing else: no Scan, no BatchGetItem, no
   * transactions, no table or stream actions. Every function reads (GetItem, Query on the table and
   * on gsi1) and writes the records every request leaves (PutItem: audit events; UpdateItem: a
   * key's last use, usage counters, rate windows). Deletes are granted only to the functions that
   * delete records, and BatchWriteItem only to the one that purges a project.
   */
  grantItemAccess(grantee: iam.IGrantable, use: ItemAccess = {}): iam.Grant {
    const actions = itemActions(use);
    const grant = iam.Grant.addToPrincipal({
      grantee,
      actions,
      resourceArns: [this.table.tableArn, `${this.table.tableArn}/index/${GSI}`],
    });
    this.key.grantEncryptDecrypt(grantee);
    suppressOn(grantee, [KMS_GRANT_FAMILIES]);
    return grant;
  }
}

/** The one global secondary index (keys by hash, projects of a company, newest first). */
export const GSI = 'gsi1';

/** What a function does to items beyond reading them and appending its audit and counters. */
export interface ItemAccess {
  /**
   * DeleteItem: documents, golden questions, external-id claims, revoked records.
   * @default false
   */
  readonly deletes?: boolean;
  /**
   * BatchWriteItem (the adapter only batches deletes): a project's purge.
   * @default false
   */
  readonly purges?: boolean;
}

/** The DynamoDB actions of an `ItemAccess`, sorted. */
export function itemActions(use: ItemAccess = {}): string[] {
  return [
    'dynamodb:GetItem',
    'dynamodb:Query',
    'dynamodb:PutItem',
    'dynamodb:UpdateItem',
    ...(use.deletes || use.purges ? ['dynamodb:DeleteItem'] : []),
    ...(use.purges ? ['dynamodb:BatchWriteItem'] : []),
  ].sort();
}
