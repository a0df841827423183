import { Match } from 'aws-cdk-lib/assertions';
import { DEFAULTS, readConfig } from '../../lib/config';
import { POOL_FREE_SHARE } from '../../lib/stage-alarms';
import { type Json, ofType, opragFunctions, referencedIds, synth, testApp } from './synth';

const { template, resources } = synth('staging');

function acl(): Json {
  const [[, webAcl]] = ofType(resources, 'AWS::WAFv2::WebACL');
  return webAcl.Properties;
}

function rule(name: string): Json {
  return acl().Rules.find((r: Json) => r.Name === name);
}

describe('fairness at the edge: a WAF web ACL on the API stage', () => {
  it('is one regional ACL that allows by default and is associated with the stage', () => {
    expect(ofType(resources, 'AWS::WAFv2::WebACL')).toHaveLength(1);
    expect(acl()).toMatchObject({ Scope: 'REGIONAL', DefaultAction: { Allow: {} }, Name: 'oprag-staging-api' });
    const [[aclId]] = ofType(resources, 'AWS::WAFv2::WebACL');
    const [[stageId]] = ofType(resources, 'AWS::ApiGateway::Stage');
    const [[, association]] = ofType(resources, 'AWS::WAFv2::WebACLAssociation');
    expect(referencedIds(association.Properties.WebACLArn)).toEqual([aclId]);
    // the stage ARN names the REST API and the stage resource's name
    expect(JSON.stringify(association.Properties.ResourceArn)).toContain(stageId);
  });

  it('counts each Authorization value on its own: one key cannot take the stage', () => {
    const perKey = rule('per-key');

    expect(perKey.Statement.RateBasedStatement).toEqual({
      AggregateKeyType: 'CUSTOM_KEYS',
      CustomKeys: [{ Header: { Name: 'authorization', TextTransformations: [{ Priority: 0, Type: 'NONE' }] } }],
      EvaluationWindowSec: 60,
      Limit: DEFAULTS.edgeKeyPerMinute,
    });
    // below the stage's own throttle, so a single key always leaves room for the others
    expect(DEFAULTS.edgeKeyPerMinute).toBeLessThan(DEFAULTS.throttleRateLimit * 60);
  });

  it('limits requests without an Oprag key per address, in a rule of their own', () => {
    const anonymous = rule('anonymous-per-address');

    expect(anonymous.Statement.RateBasedStatement).toMatchObject({
      AggregateKeyType: 'IP',
      EvaluationWindowSec: 60,
      Limit: DEFAULTS.edgeAnonymousPerMinute,
      ScopeDownStatement: {
        NotStatement: {
          Statement: {
            ByteMatchStatement: {
              FieldToMatch: { SingleHeader: { Name: 'authorization' } },
              PositionalConstraint: 'STARTS_WITH',
              SearchString: 'Bearer oprag_',
            },
          },
        },
      },
    });
    expect(rule('per-address').Statement.RateBasedStatement).toEqual({
      AggregateKeyType: 'IP',
      EvaluationWindowSec: 60,
      Limit: DEFAULTS.edgeAddressPerMinute,
    });
  });

  it("blocks with 429, Retry-After and API.md's error body, and keeps no sampled requests (they hold keys)", () => {
    const { CustomResponseBodies, Rules, VisibilityConfig } = acl();
    const body = JSON.parse(CustomResponseBodies.rate_limited.Content);

    expect(CustomResponseBodies.rate_limited.ContentType).toBe('APPLICATION_JSON');
    expect(body.error).toMatchObject({ type: 'rate_limited', message: expect.any(String) });
    expect(Rules.map((r: Json) => r.Name)).toEqual(['per-key', 'anonymous-per-address', 'per-address']);
    for (const r of Rules) {
      expect(r.Action.Block.CustomResponse).toEqual({
        ResponseCode: 429,
        CustomResponseBodyKey: 'rate_limited',
        ResponseHeaders: [{ Name: 'Retry-After', Value: '60' }],
      });
      expect(r.VisibilityConfig).toMatchObject({ CloudWatchMetricsEnabled: true, SampledRequestsEnabled: false });
    }
    expect(VisibilityConfig.SampledRequestsEnabled).toBe(false);
  });

  it('takes its limits and the stage throttle from context', () => {
    const { resources: tuned } = synth('staging', {
      throttleRateLimit: 1000,
      throttleBurstLimit: 2000,
      edgeKeyPerMinute: 20000,
      edgeAnonymousPerMinute: 30,
      edgeAddressPerMinute: 40000,
    });
    const [[, tunedAcl]] = ofType(tuned, 'AWS::WAFv2::WebACL');
    const limits = Object.fromEntries(
      tunedAcl.Properties.Rules.map((r: Json) => [r.Name, r.Statement.RateBasedStatement.Limit]),
    );
    const [[, stage]] = ofType(tuned, 'AWS::ApiGateway::Stage');

    expect(limits).toEqual({ 'per-key': 20000, 'anonymous-per-address': 30, 'per-address': 40000 });
    expect(stage.Properties.MethodSettings[0]).toMatchObject({ ThrottlingRateLimit: 1000, ThrottlingBurstLimit: 2000 });
  });
});

describe('the stage configuration of fairness and privilege', () => {
  const read = (context: Record<string, unknown>) => () => readConfig(testApp(context).node);

  it('sizes the stage above one project and one key by default', () => {
    const config = read({})();
    // a project's default limits: 1,200 chats and 6,000 ingests a minute
    expect(config.throttleRateLimit * 60).toBeGreaterThan(1200 + 6000);
    expect(config.edgeKeyPerMinute).toBeGreaterThan(1200 + 6000);
    expect(config.edgeKeyPerMinute).toBeLessThan(config.throttleRateLimit * 60);
    expect(config.maxProjectsPerCompany).toBe(50);
    expect(config.operatorPrincipal).toBeUndefined();
  });

  it('refuses a per-key limit that would let one key take the stage', () => {
    expect(read({ throttleRateLimit: 100, edgeKeyPerMinute: 6000 })).toThrow(/edgeKeyPerMinute/);
  });

  it('refuses edge limits WAF cannot take and an operator that is not a role or user ARN', () => {
    expect(read({ edgeAnonymousPerMinute: 5 })).toThrow(/at least 10/);
    expect(read({ operatorPrincipal: 'arn:aws:s3:::bucket' })).toThrow(/operatorPrincipal/);
    expect(read({ operatorPrincipal: 'arn:aws:iam::123456789012:role/ops' })().operatorPrincipal).toBe(
      'arn:aws:iam::123456789012:role/ops',
    );
  });

  it('hands every service function the project quota (the document reader function needs none)', () => {
    const fns = opragFunctions(synth('staging', { maxProjectsPerCompany: 7 }).resources);
    expect(fns.size).toBe(5);
    fns.delete('reader');
    for (const fn of fns.values()) expect(fn.props.Environment.Variables.OPRAG_MAX_PROJECTS_PER_COMPANY).toBe('7');
  });
});

describe('the stage alarms', () => {
  const alarms = () => ofType(resources, 'AWS::CloudWatch::Alarm').map(([, a]) => a.Properties);
  const named = (name: string) => alarms().find((a) => a.AlarmName === name);

  it("alarm on each function's errors and throttles, the API 5xx and the dead-letter queue, all to the topic", () => {
    const [[topicId]] = ofType(resources, 'AWS::SNS::Topic');
    const names = alarms()
      .map((a) => a.AlarmName)
      .sort();

    for (const fn of ['control', 'documents', 'query', 'worker', 'reader']) {
      expect(names).toContain(`oprag-staging-${fn}-errors`);
      expect(names).toContain(`oprag-staging-${fn}-throttles`);
    }
    expect(names).toEqual(
      expect.arrayContaining([
        'oprag-staging-api-5xx',
        'oprag-staging-ingest-dead-letters',
        'oprag-staging-index-pool-capacity',
      ]),
    );
    for (const a of alarms()) expect(referencedIds(a.AlarmActions)).toEqual([topicId]);
    expect(named('oprag-staging-api-5xx')).toMatchObject({ MetricName: '5XXError', Namespace: 'AWS/ApiGateway' });
    expect(named('oprag-staging-query-throttles')).toMatchObject({ MetricName: 'Throttles', Namespace: 'AWS/Lambda' });
  });

  it("alarm before the search pool is full, from the control function's pool_free log field", () => {
    const pool = named('oprag-staging-index-pool-capacity');

    expect(pool).toMatchObject({
      Namespace: 'Oprag/staging',
      MetricName: 'IndexPoolFree',
      Statistic: 'Minimum',
      ComparisonOperator: 'LessThanOrEqualToThreshold',
      Threshold: Math.floor(DEFAULTS.collectionPoolSize * DEFAULTS.indexCapPerCollection * POOL_FREE_SHARE),
    });
    const controlLogs = ofType(resources, 'AWS::Logs::LogGroup').find(
      ([, g]) => g.Properties.LogGroupName === '/aws/lambda/oprag-staging-control',
    )!;
    template.hasResourceProperties('AWS::Logs::MetricFilter', {
      LogGroupName: { Ref: controlLogs[0] },
      FilterPattern: Match.stringLikeRegexp('pool_free'),
      MetricTransformations: [
        { MetricNamespace: 'Oprag/staging', MetricName: 'IndexPoolFree', MetricValue: '$.pool_free' },
      ],
    });
  });

  it('scales the pool alarm with the pool', () => {
    const { resources: bigger } = synth('staging', { collectionPoolSize: 3, indexCapPerCollection: 100 });
    const pool = ofType(bigger, 'AWS::CloudWatch::Alarm')
      .map(([, a]) => a.Properties)
      .find((a) => a.AlarmName === 'oprag-staging-index-pool-capacity');
    expect(pool.Threshold).toBe(30);
  });
});
