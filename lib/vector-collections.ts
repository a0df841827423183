import { Lazy, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as aoss from 'aws-cdk-lib/aws-opensearchserverless';
import { Construct } from 'constructs';

/** Every project index starts with this; the data-access policy covers nothing else. */
export const INDEX_PREFIX = 'oprag-';

/**
 * What a role does with project indexes, as its code calls the index adapter:
 * - `read`: search and count (the query function);
 * - `readWrite`: also write and delete chunks of an existing index (the documents function and the
 *   ingest worker, the two that read untrusted files; they can neither create nor drop an index);
 * - `manage`: create a project's index and drop it, and count its chunks (the control function,
 *   which creates and purges projects; it writes no chunks).
 */
export type IndexAccess = 'read' | 'readWrite' | 'manage';

export const INDEX_PERMISSIONS: Record<IndexAccess, string[]> = {
  read: ['aoss:DescribeIndex', 'aoss:ReadDocument'],
  readWrite: ['aoss:DescribeIndex', 'aoss:ReadDocument', 'aoss:WriteDocument'],
  manage: ['aoss:CreateIndex', 'aoss:DeleteIndex', 'aoss:DescribeIndex', 'aoss:ReadDocument'],
};

/** An operator's read-only look into the pool: list the collections' items, describe and read project indexes. */
export const OPERATOR_PERMISSIONS = {
  collection: ['aoss:DescribeCollectionItems'],
  index: ['aoss:DescribeIndex', 'aoss:ReadDocument'],
};

const DESCRIPTIONS: Record<IndexAccess, string> = {
  read: 'search project indexes',
  readWrite: 'write and search chunks of existing project indexes',
  manage: 'create, count and drop project indexes',
};

export interface VectorCollectionPoolProps {
  /** Collections are named `<namePrefix>-<n>`; it carries the stage. At most 29 characters. */
  readonly namePrefix: string;
  /** How many collections the pool holds. */
  readonly size: number;
  /**
   * Standby replicas in a second Availability Zone (production); doubles the OCU floor.
   * @default true
   */
  readonly standbyReplicas?: boolean;
  /**
   * Keep the collections, their policies and the key when the stack goes away.
   * @default false
   */
  readonly retain?: boolean;
  /**
   * An IAM role or user ARN of the operator, named in the data-access policy with read-only
   * permissions (`OPERATOR_PERMISSIONS`) for inspecting indexes; it can create, change or drop nothing.
   * @default no operator: only the function roles reach the data plane
   */
  readonly operatorPrincipal?: string;
}

/**
 * The pool of OpenSearch Serverless VECTORSEARCH collections that hold one index per project.
 * All collections share one customer-managed key, so they share one set of OCUs. The data-access
 * policy names exactly the roles granted through `grantIndexAccess`, each with only what it uses.
 */
export class VectorCollectionPool extends Construct {
  readonly collections: aoss.CfnCollection[];
  readonly key: kms.Key;
  private readonly grants: { role: iam.IRole; access: IndexAccess }[] = [];

  constructor(scope: Construct, id: string, props: VectorCollectionPoolProps) {
    super(scope, id);
    if (props.namePrefix.length > 29 || !/^[a-z][a-z0-9-]+$/.test(props.namePrefix)) {
      throw new Error(`collection name prefix "${props.namePrefix}" must be lowercase and at most 29 characters`);
    }
    const stack = Stack.of(this);
    const removalPolicy = props.retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    const names = Array.from({ length: props.size }, (_, i) => `${props.namePrefix}-${i}`);
    const collectionResources = names.map((name) => `collection/${name}`);

    this.key = new kms.Key(this, 'Key', {
      description: `Oprag ${props.namePrefix} vector collections`,
      enableKeyRotation: true,
      removalPolicy,
    });

    const encryption = new aoss.CfnSecurityPolicy(this, 'EncryptionPolicy', {
      name: `${props.namePrefix}-enc`,
      type: 'encryption',
      description: 'Oprag collections under the stage key',
      policy: stack.toJsonString({
        Rules: [{ ResourceType: 'collection', Resource: collectionResources }],
        AWSOwnedKey: false,
        KmsARN: this.key.keyArn,
      }),
    });

    // Lambda functions run outside a VPC, so the endpoint is public; every request still needs
    // SigV4 credentials of a role the data-access policy names.
    const network = new aoss.CfnSecurityPolicy(this, 'NetworkPolicy', {
      name: `${props.namePrefix}-net`,
      type: 'network',
      description: 'Oprag collection endpoints, reached by the Lambda functions over HTTPS',
      policy: stack.toJsonString([
        { Rules: [{ ResourceType: 'collection', Resource: collectionResources }], AllowFromPublic: true },
      ]),
    });

    const access = new aoss.CfnAccessPolicy(this, 'DataAccessPolicy', {
      name: `${props.namePrefix}-data`,
      type: 'data',
      description: 'Project indexes, for the Oprag function roles only',
      policy: Lazy.string({
        produce: () => stack.toJsonString(this.accessPolicyDocument(names, props.operatorPrincipal)),
      }),
    });
    this.node.addValidation({
      validate: () => (this.grants.length ? [] : ['the data-access policy names no role; call grantIndexAccess']),
    });

    this.collections = names.map((name, i) => {
      const collection = new aoss.CfnCollection(this, `Collection${i}`, {
        name,
        type: 'VECTORSEARCH',
        description: `Oprag project indexes, pool member ${i}`,
        standbyReplicas: (props.standbyReplicas ?? true) ? 'ENABLED' : 'DISABLED',
      });
      // a collection is created under the encryption policy that matches its name
      collection.node.addDependency(encryption);
      collection.node.addDependency(network);
      return collection;
    });

    for (const resource of [encryption, network, access, ...this.collections])
      resource.applyRemovalPolicy(removalPolicy);
  }

  /** `[{name, endpoint}]` of every collection, as the functions read it (OPRAG_COLLECTIONS). */
  endpointsJson(): string {
    return Stack.of(this).toJsonString(
      this.collections.map((c) => ({ name: c.name, endpoint: c.attrCollectionEndpoint })),
    );
  }

  /**
   * Lets a role reach the collections' data plane (IAM) and names it in the data-access policy
   * with the index permissions of `access`, on `oprag-*` indexes only.
   */
  grantIndexAccess(role: iam.IRole, access: IndexAccess): void {
    this.grants.push({ role, access });
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['aoss:APIAccessAll'],
        resources: this.collections.map((c) => c.attrArn),
      }),
    );
  }

  private accessPolicyDocument(names: string[], operator?: string) {
    const indexes = names.map((name) => `index/${name}/${INDEX_PREFIX}*`);
    const rules = (['manage', 'readWrite', 'read'] as const)
      .map((access) => ({ access, roles: this.grants.filter((g) => g.access === access) }))
      .filter(({ roles }) => roles.length > 0)
      .map(({ access, roles }) => ({
        Description: DESCRIPTIONS[access],
        Rules: [{ ResourceType: 'index', Resource: indexes, Permission: INDEX_PERMISSIONS[access] }],
        Principal: roles.map((g) => g.role.roleArn),
      }));
    if (operator) {
      rules.push({
        Description: 'operator: read-only look at collections and project indexes',
        Rules: [
          {
            ResourceType: 'collection',
            Resource: names.map((name) => `collection/${name}`),
            Permission: OPERATOR_PERMISSIONS.collection,
          },
          { ResourceType: 'index', Resource: indexes, Permission: OPERATOR_PERMISSIONS.index },
        ],
        Principal: [operator],
      });
    }
    return rules;
  }
}
