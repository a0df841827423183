import { App, Stack } from 'aws-cdk-lib';
import { VectorCollectionPool } from '../../lib/vector-collections';
import {
  asArray,
  type Json,
  ofType,
  opragFunctions,
  type Resources,
  referencedIds,
  renderJoin,
  roleOf,
  statementsOf,
  synth,
} from './synth';

const INDEX_PERMISSIONS = [
  'aoss:CreateIndex',
  'aoss:DeleteIndex',
  'aoss:DescribeIndex',
  'aoss:UpdateIndex',
  'aoss:ReadDocument',
  'aoss:WriteDocument',
];

/** The data-access policy, parsed, with every role ARN written as `<LogicalId>`. */
function dataAccessPolicy(resources: Resources): Json[] {
  const [[, policy]] = ofType(resources, 'AWS::OpenSearchServerless::AccessPolicy');
  return JSON.parse(renderJoin(policy.Properties.Policy));
}

describe('VectorCollectionPool', () => {
  it('holds collectionPoolSize VECTORSEARCH collections named by stage', () => {
    const { resources } = synth('staging', { collectionPoolSize: 3 });
    const collections = ofType(resources, 'AWS::OpenSearchServerless::Collection').map(([, c]) => c.Properties);

    expect(collections.map((c) => c.Name).sort()).toEqual(['oprag-staging-0', 'oprag-staging-1', 'oprag-staging-2']);
    for (const c of collections) expect(c.Type).toBe('VECTORSEARCH');
  });

  it('runs standby replicas in production only', () => {
    const standby = (stage: 'staging' | 'production') =>
      ofType(synth(stage).resources, 'AWS::OpenSearchServerless::Collection').map(
        ([, c]) => c.Properties.StandbyReplicas,
      );

    expect(standby('staging')).toEqual(['DISABLED']);
    expect(standby('production')).toEqual(['ENABLED']);
  });

  it('encrypts every collection of the pool with one customer-managed key, created before them', () => {
    const { resources } = synth('staging', { collectionPoolSize: 2 });
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
    const { resources } = synth('staging');
    const [[, net]] = ofType(resources, 'AWS::OpenSearchServerless::SecurityPolicy').filter(
      ([, p]) => p.Properties.Type === 'network',
    );

    expect(JSON.parse(net.Properties.Policy)).toEqual([
      { Rules: [{ ResourceType: 'collection', Resource: ['collection/oprag-staging-0'] }], AllowFromPublic: true },
    ]);
  });

  it('names exactly the four function roles in the data-access policy, with index permissions only', () => {
    const { resources } = synth('staging', { collectionPoolSize: 2 });
    const rules = dataAccessPolicy(resources);
    const functionRoles = [...opragFunctions(resources).values()].map((f) => `<${roleOf(f)}>`).sort();

    expect(functionRoles).toHaveLength(4);
    expect(rules.flatMap((r) => r.Principal).sort()).toEqual(functionRoles);
    for (const rule of rules) {
      for (const r of rule.Rules) {
        expect(r.ResourceType).toBe('index');
        expect(r.Resource).toEqual(['index/oprag-staging-0/oprag-*', 'index/oprag-staging-1/oprag-*']);
        expect(INDEX_PERMISSIONS).toEqual(expect.arrayContaining(r.Permission));
      }
    }
  });

  it('lets the query function search but not create, change or drop indexes', () => {
    const { resources } = synth('staging');
    const fns = opragFunctions(resources);
    const permissionsOf = (name: string) =>
      dataAccessPolicy(resources)
        .filter((rule) => rule.Principal.includes(`<${roleOf(fns.get(name)!)}>`))
        .flatMap((rule) => rule.Rules.flatMap((r: Json) => r.Permission))
        .sort();

    expect(permissionsOf('query')).toEqual(['aoss:DescribeIndex', 'aoss:ReadDocument']);
    for (const name of ['control', 'documents', 'worker'])
      expect(permissionsOf(name)).toEqual([...INDEX_PERMISSIONS].sort());
  });

  it('gives each function role aoss:APIAccessAll on the collections, and hands them the endpoints', () => {
    const { resources } = synth('staging', { collectionPoolSize: 2 });
    const collectionIds = ofType(resources, 'AWS::OpenSearchServerless::Collection')
      .map(([id]) => id)
      .sort();

    for (const fn of opragFunctions(resources).values()) {
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

  it('refuses to synthesize a data-access policy that names no role', () => {
    const app = new App();
    new VectorCollectionPool(new Stack(app, 'Bare'), 'Pool', { namePrefix: 'oprag-test', size: 1 });

    expect(() => app.synth()).toThrow(/names no role/);
  });
});
