import { App, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { INDEX_PERMISSIONS, VectorCollectionPool } from '../../lib/vector-collections';
import {
  asArray,
  bareStack,
  type Json,
  ofType,
  opragFunctions,
  type Resources,
  referencedIds,
  renderJoin,
  roleOf,
  statementsOf,
  synth,
  templateOf,
} from './synth';

/** Every index permission any role may hold: no UpdateIndex (the code never changes a mapping). */
const ALL_INDEX_PERMISSIONS = [
  'aoss:CreateIndex',
  'aoss:DeleteIndex',
  'aoss:DescribeIndex',
  'aoss:ReadDocument',
  'aoss:WriteDocument',
];
const OPERATOR = 'arn:aws:iam::123456789012:role/oprag-operator';

/** The data-access policy, parsed, with every role ARN written as `<LogicalId>`. */
function dataAccessPolicy(resources: Resources): Json[] {
  const [[, policy]] = ofType(resources, 'AWS::OpenSearchServerless::AccessPolicy');
  return JSON.parse(renderJoin(policy.Properties.Policy));
}

/**
 * A pool of `size` alone on a bare stack, as a staging stage names it, with one role that manages
 * indexes, two that write chunks and one that may only search (as a stage grants its four functions).
 */
function pool(size: number, standbyReplicas?: boolean, operatorPrincipal?: string) {
  const stack = bareStack();
  const search = new VectorCollectionPool(stack, 'Search', {
    namePrefix: 'oprag-staging',
    size,
    standbyReplicas,
    operatorPrincipal,
  });
  const role = (id: string) => new iam.Role(stack, id, { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
  const manager = role('Control');
  const writers = ['Documents', 'Worker'].map(role);
  const reader = role('Query');
  search.grantIndexAccess(manager, 'manage');
  for (const r of writers) search.grantIndexAccess(r, 'readWrite');
  search.grantIndexAccess(reader, 'read');
  const { resources } = templateOf(stack);
  const idOf = (r: iam.Role) => stack.getLogicalId(r.node.defaultChild as iam.CfnRole);
  return {
    resources,
    manager: idOf(manager),
    writers: writers.map(idOf),
    reader: idOf(reader),
    roles: [manager, ...writers, reader].map(idOf),
    endpoints: stack.resolve(search.endpointsJson()),
  };
}

/** The index permissions the data-access policy gives one principal, sorted. */
function permissionsIn(resources: Resources, principal: string, type = 'index'): string[] {
  return dataAccessPolicy(resources)
    .filter((rule) => rule.Principal.includes(principal))
    .flatMap((rule) => rule.Rules.filter((r: Json) => r.ResourceType === type).flatMap((r: Json) => r.Permission))
    .sort();
}

describe('VectorCollectionPool', () => {
  const three = pool(3);
  const two = pool(2);
  const one = pool(1);

  it('holds `size` VECTORSEARCH collections named by the prefix', () => {
    const collections = ofType(three.resources, 'AWS::OpenSearchServerless::Collection').map(([, c]) => c.Properties);

    expect(collections.map((c) => c.Name).sort()).toEqual(['oprag-staging-0', 'oprag-staging-1', 'oprag-staging-2']);
    for (const c of collections) expect(c.Type).toBe('VECTORSEARCH');
  });

  it('runs standby replicas unless told not to (a stage turns them on in production only: stages.test.ts)', () => {
    const standby = (resources: Resources) =>
      ofType(resources, 'AWS::OpenSearchServerless::Collection').map(([, c]) => c.Properties.StandbyReplicas);

    expect(standby(one.resources)).toEqual(['ENABLED']);
    expect(standby(pool(1, false).resources)).toEqual(['DISABLED']);
    expect(standby(pool(1, true).resources)).toEqual(['ENABLED']);
  });

  it('encrypts every collection of the pool with one customer-managed key, created before them', () => {
    const { resources } = two;
    const [[encId, enc]] = ofType(resources, 'AWS::OpenSearchServerless::SecurityPolicy').filter(
      ([, p]) => p.Properties.Type === 'encryption',
    );
    const policy = JSON.parse(renderJoin(enc.Properties.Policy));

    expect(policy.AWSOwnedKey).toBe(false);
    expect(policy.Rules).toEqual([
      { ResourceType: 'collection', Resource: ['collection/oprag-staging-0', 'collection/oprag-staging-1'] },
    ]);
    const keyId = policy.KmsARN.slice(1, -1);
    expect(resources[keyId].Type).toBe('AWS::KMS::Key');
    expect(resources[keyId].Properties.EnableKeyRotation).toBe(true);
    for (const [, c] of ofType(resources, 'AWS::OpenSearchServerless::Collection'))
      expect(c.DependsOn).toContain(encId);
  });

  it('has a network policy for the collection endpoints and no dashboards access', () => {
    const [[, net]] = ofType(one.resources, 'AWS::OpenSearchServerless::SecurityPolicy').filter(
      ([, p]) => p.Properties.Type === 'network',
    );

    expect(JSON.parse(net.Properties.Policy)).toEqual([
      { Rules: [{ ResourceType: 'collection', Resource: ['collection/oprag-staging-0'] }], AllowFromPublic: true },
    ]);
  });

  it('names exactly the granted roles in the data-access policy, with index permissions only', () => {
    const rules = dataAccessPolicy(two.resources);

    expect(rules.flatMap((r) => r.Principal).sort()).toEqual(two.roles.map((id) => `<${id}>`).sort());
    for (const rule of rules) {
      for (const r of rule.Rules) {
        expect(r.ResourceType).toBe('index');
        expect(r.Resource).toEqual(['index/oprag-staging-0/oprag-*', 'index/oprag-staging-1/oprag-*']);
        expect(ALL_INDEX_PERMISSIONS).toEqual(expect.arrayContaining(r.Permission));
      }
    }
  });

  it('lets only a manage grant create and drop indexes; write grants write chunks; a read grant searches', () => {
    const of = (roleId: string) => permissionsIn(two.resources, `<${roleId}>`);

    expect(of(two.manager)).toEqual([
      'aoss:CreateIndex',
      'aoss:DeleteIndex',
      'aoss:DescribeIndex',
      'aoss:ReadDocument',
    ]);
    for (const id of two.writers) {
      expect(of(id)).toEqual(['aoss:DescribeIndex', 'aoss:ReadDocument', 'aoss:WriteDocument']);
    }
    expect(of(two.reader)).toEqual(['aoss:DescribeIndex', 'aoss:ReadDocument']);
    expect(INDEX_PERMISSIONS.manage).not.toContain('aoss:WriteDocument');
    for (const id of two.roles) expect(of(id)).not.toContain('aoss:UpdateIndex');
  });

  it('names no operator unless one is configured', () => {
    const principals = dataAccessPolicy(two.resources).flatMap((r) => r.Principal);

    expect(principals.every((p: string) => p.startsWith('<'))).toBe(true);
  });

  it('gives a configured operator read-only access to the collections and project indexes', () => {
    const { resources } = pool(2, false, OPERATOR);
    const [rule] = dataAccessPolicy(resources).filter((r) => r.Principal.includes(OPERATOR));

    expect(rule.Principal).toEqual([OPERATOR]);
    expect(permissionsIn(resources, OPERATOR)).toEqual(['aoss:DescribeIndex', 'aoss:ReadDocument']);
    expect(permissionsIn(resources, OPERATOR, 'collection')).toEqual(['aoss:DescribeCollectionItems']);
    const indexRule = rule.Rules.find((r: Json) => r.ResourceType === 'index');
    expect(indexRule.Resource).toEqual(['index/oprag-staging-0/oprag-*', 'index/oprag-staging-1/oprag-*']);
  });

  it('gives each granted role aoss:APIAccessAll on the collections, and lists their endpoints', () => {
    const { resources } = two;
    const collectionIds = ofType(resources, 'AWS::OpenSearchServerless::Collection')
      .map(([id]) => id)
      .sort();

    for (const roleId of two.roles) {
      const aoss = statementsOf(resources, roleId).filter((s) =>
        asArray(s.Action).some((a: string) => a.startsWith('aoss:')),
      );
      expect(aoss.map((s) => s.Action)).toEqual(['aoss:APIAccessAll']);
      expect(referencedIds(aoss[0].Resource).sort()).toEqual(collectionIds);
    }
    expect(two.endpoints['Fn::Join'][1].filter((p: Json) => typeof p !== 'string')).toEqual(
      collectionIds.map((id) => ({ 'Fn::GetAtt': [id, 'CollectionEndpoint'] })),
    );
  });

  it('refuses to synthesize a data-access policy that names no role', () => {
    const app = new App();
    new VectorCollectionPool(new Stack(app, 'Bare'), 'Pool', { namePrefix: 'oprag-test', size: 1 });

    expect(() => app.synth()).toThrow(/names no role/);
  });
});

describe("the stage's search wiring", () => {
  const { resources } = synth('staging', { collectionPoolSize: 2 });
  const fns = opragFunctions(resources);

  it('holds collectionPoolSize collections named by stage', () => {
    const names = ofType(resources, 'AWS::OpenSearchServerless::Collection').map(([, c]) => c.Properties.Name);
    expect(names.sort()).toEqual(['oprag-staging-0', 'oprag-staging-1']);
    for (const rule of dataAccessPolicy(resources).flatMap((r) => r.Rules))
      expect(rule.Resource).toEqual(['index/oprag-staging-0/oprag-*', 'index/oprag-staging-1/oprag-*']);
  });

  it('names the operator of context operatorPrincipal, read-only', () => {
    const withOperator = synth('staging', { operatorPrincipal: OPERATOR }).resources;

    expect(permissionsIn(withOperator, OPERATOR)).toEqual(['aoss:DescribeIndex', 'aoss:ReadDocument']);
    expect(dataAccessPolicy(resources).flatMap((r) => r.Principal)).not.toContain(OPERATOR);
  });

  it('names the four function roles: control manages indexes, documents and worker write chunks, query searches', () => {
    const permissionsOf = (name: string) =>
      dataAccessPolicy(resources)
        .filter((rule) => rule.Principal.includes(`<${roleOf(fns.get(name)!)}>`))
        .flatMap((rule) => rule.Rules.flatMap((r: Json) => r.Permission))
        .sort();
    // the document reader function parses untrusted files: no rule names its role
    const functionRoles = [...fns]
      .filter(([name]) => name !== 'reader')
      .map(([, f]) => `<${roleOf(f)}>`)
      .sort();

    expect(functionRoles).toHaveLength(4);
    expect(permissionsOf('reader')).toEqual([]);
    expect(
      dataAccessPolicy(resources)
        .flatMap((r) => r.Principal)
        .sort(),
    ).toEqual(functionRoles);
    expect(permissionsOf('query')).toEqual(['aoss:DescribeIndex', 'aoss:ReadDocument']);
    expect(permissionsOf('control')).toEqual([...INDEX_PERMISSIONS.manage].sort());
    // the two functions that read untrusted files can neither create nor drop an index
    for (const name of ['documents', 'worker']) {
      expect(permissionsOf(name)).toEqual(['aoss:DescribeIndex', 'aoss:ReadDocument', 'aoss:WriteDocument']);
    }
  });

  it('gives each function role aoss:APIAccessAll on the collections, and hands them the endpoints', () => {
    const collectionIds = ofType(resources, 'AWS::OpenSearchServerless::Collection')
      .map(([id]) => id)
      .sort();

    expect(collectionIds).toHaveLength(2);
    // all but the document reader function, which holds no OpenSearch right at all
    for (const [, fn] of [...fns].filter(([name]) => name !== 'reader')) {
      const aoss = statementsOf(resources, roleOf(fn)).filter((s) =>
        asArray(s.Action).some((a: string) => a.startsWith('aoss:')),
      );
      expect(aoss.map((s) => s.Action)).toEqual(['aoss:APIAccessAll']);
      expect(referencedIds(aoss[0].Resource).sort()).toEqual(collectionIds);
      const endpoints = fn.props.Environment.Variables.OPRAG_COLLECTIONS['Fn::Join'][1];
      expect(endpoints.filter((p: Json) => typeof p !== 'string')).toEqual(
        collectionIds.map((id) => ({ 'Fn::GetAtt': [id, 'CollectionEndpoint'] })),
      );
    }
  });
});
