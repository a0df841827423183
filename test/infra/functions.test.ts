import { asArray, type Json, ofType, opragFunctions, referencedIds, roleOf, statementsOf, synth } from './synth';

const { template, resources } = synth('staging', { dashboardOrigin: 'https://dashboard.example.com' });
const fns = opragFunctions(resources);
/** The functions that run the service (the document reader is told only its stage and bucket). */
const service = [...fns].filter(([name]) => name !== 'reader');

const ENVIRONMENT = [
  'OPRAG_STAGE',
  'OPRAG_TABLE_NAME',
  'OPRAG_BUCKET_NAME',
  'OPRAG_INGEST_QUEUE_URL',
  'OPRAG_COLLECTIONS',
  'OPRAG_INDEX_CAP',
  'OPRAG_EMBED_MODEL_ID',
  'OPRAG_EMBED_DIMENSIONS',
  'OPRAG_GENERATE_MODEL_ID',
  'OPRAG_DASHBOARD_ORIGIN',
  'OPRAG_AUDIT_TTL_DAYS',
];

const HAIKU = 'anthropic.claude-haiku-4-5-20251001-v1:0';
const inRegion = (id: string) => ({
  'Fn::Join': [
    '',
    ['arn:', { Ref: 'AWS::Partition' }, ':bedrock:', { Ref: 'AWS::Region' }, `::foundation-model/${id}`],
  ],
});
const inDestination = (region: string) => ({
  'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:bedrock:${region}::foundation-model/${HAIKU}`]],
});
const EMBED = inRegion('amazon.titan-embed-text-v2:0');
// the default answer model is Claude Haiku 4.5 through its US cross-Region inference profile
const PROFILE = {
  'Fn::Join': [
    '',
    [
      'arn:',
      { Ref: 'AWS::Partition' },
      ':bedrock:',
      { Ref: 'AWS::Region' },
      ':',
      { Ref: 'AWS::AccountId' },
      `:inference-profile/us.${HAIKU}`,
    ],
  ],
};
const ROUTED = [inRegion(HAIKU), ...['us-east-1', 'us-east-2', 'us-west-1', 'us-west-2'].map(inDestination)];
const THROUGH_PROFILE = { StringEquals: { 'bedrock:InferenceProfileArn': PROFILE } };

describe('OpragFunction', () => {
  it('builds the five functions on arm64 with nodejs22.x; any other function is a CDK deploy-time helper', () => {
    const others = ofType(resources, 'AWS::Lambda::Function').filter(
      ([id]) => ![...fns.values()].some((f) => f.id === id),
    );

    expect([...fns.keys()].sort()).toEqual(['control', 'documents', 'query', 'reader', 'worker']);
    for (const { props } of fns.values()) {
      expect(props.Architectures).toEqual(['arm64']);
      expect(props.Runtime).toBe('nodejs22.x');
      expect(props.Handler).toBe('index.handler');
    }
    for (const [id] of others)
      expect(id).toMatch(/^(BucketNotificationsHandler|CustomS3AutoDeleteObjects|CustomCDKBucketDeployment)/);
  });

  it('gives every service function the OPRAG_* environment, Powertools settings and active tracing', () => {
    for (const [name, { props }] of service) {
      const env = props.Environment.Variables;
      expect(Object.keys(env)).toEqual(expect.arrayContaining(ENVIRONMENT));
      expect(env).toMatchObject({
        OPRAG_STAGE: 'staging',
        OPRAG_INDEX_CAP: '200',
        OPRAG_EMBED_DIMENSIONS: '1024',
        OPRAG_DASHBOARD_ORIGIN: 'https://dashboard.example.com',
        POWERTOOLS_SERVICE_NAME: `oprag-${name}`,
        POWERTOOLS_METRICS_NAMESPACE: 'Oprag/staging',
        POWERTOOLS_TRACER_CAPTURE_RESPONSE: 'false',
      });
      expect(props.TracingConfig).toEqual({ Mode: 'Active' });
    }
  });

  it('hands a configured dashboardOrigin to the functions and to the preflights, instead of the distribution', () => {
    for (const [, { props }] of service) {
      expect(props.Environment.Variables.OPRAG_DASHBOARD_ORIGIN).toBe('https://dashboard.example.com');
    }
    const preflights = ofType(resources, 'AWS::ApiGateway::Method').filter(
      ([, m]) => m.Properties.HttpMethod === 'OPTIONS',
    );
    expect(preflights.length).toBeGreaterThan(0);
    for (const [, m] of preflights) {
      const allowed = m.Properties.Integration.IntegrationResponses[0].ResponseParameters;
      expect(allowed['method.response.header.Access-Control-Allow-Origin']).toBe("'https://dashboard.example.com'");
    }
  });

  it('logs each function to its own log group with a retention', () => {
    for (const { props } of fns.values()) {
      const logGroupId = props.LoggingConfig.LogGroup.Ref;
      expect(resources[logGroupId].Type).toBe('AWS::Logs::LogGroup');
      expect(resources[logGroupId].Properties.RetentionInDays).toBe(30);
    }
  });

  it('gives the document readers layer to the functions that ingest, and only to them', () => {
    // Oprag's own layers; CDK adds an AWS CLI layer to the dashboard's deploy-time copy
    const layers = ofType(resources, 'AWS::Lambda::LayerVersion').filter(([, r]) =>
      String(r.Properties.LayerName ?? '').startsWith('oprag-'),
    );
    expect(layers.map(([, r]) => r.Properties.LayerName)).toEqual(['oprag-staging-document-readers']);

    const layerRef = [{ Ref: layers[0][0] }];
    expect(fns.get('documents')!.props.Layers).toEqual(layerRef);
    expect(fns.get('worker')!.props.Layers).toEqual(layerRef);
    expect(fns.get('reader')!.props.Layers).toEqual(layerRef);
    expect(fns.get('control')!.props.Layers).toBeUndefined();
    expect(fns.get('query')!.props.Layers).toBeUndefined();
  });

  it('runs each function under its own role with no AWS-managed policy', () => {
    const roles = [...fns.values()].map(roleOf);

    expect(new Set(roles).size).toBe(5);
    for (const id of roles) expect(resources[id].Properties.ManagedPolicyArns).toBeUndefined();
  });

  it('lets functions invoke exactly the two configured Bedrock models, each only where it is used', () => {
    const bedrock = (name: string) =>
      statementsOf(resources, roleOf(fns.get(name)!)).filter((s) =>
        asArray(s.Action).some((a: string) => a.startsWith('bedrock:')),
      );
    const key = (r: unknown) => JSON.stringify(r);
    const direct = (name: string) =>
      new Set(
        bedrock(name)
          .filter((s) => !s.Condition)
          .flatMap((s) => asArray(s.Resource).map(key)),
      );
    const routed = (name: string) => bedrock(name).filter((s) => s.Condition);

    // the embedding model is invoked; the answer model is invoked or streamed (Converse, ConverseStream)
    for (const name of fns.keys()) {
      for (const s of bedrock(name)) {
        const answers = s.Condition !== undefined || asArray(s.Resource).some((r) => key(r) === key(PROFILE));
        expect(asArray(s.Action)).toEqual(
          answers ? ['bedrock:InvokeModel', 'bedrock:InvokeModelWithResponseStream'] : ['bedrock:InvokeModel'],
        );
      }
    }
    expect(bedrock('documents').flatMap((s) => asArray(s.Action))).toEqual(['bedrock:InvokeModel']);
    expect(direct('query')).toEqual(new Set([EMBED, PROFILE].map(key)));
    expect(direct('control')).toEqual(new Set([EMBED, PROFILE].map(key)));
    expect(direct('documents')).toEqual(new Set([key(EMBED)]));
    // the worker answers golden runs' questions
    expect(direct('worker')).toEqual(new Set([EMBED, PROFILE].map(key)));
    // the answer model itself, here and in each US destination Region, only through the profile
    for (const name of ['query', 'control', 'worker']) {
      expect(routed(name)).toHaveLength(1);
      expect(routed(name)[0].Condition).toEqual(THROUGH_PROFILE);
      expect(new Set(asArray(routed(name)[0].Resource).map(key))).toEqual(new Set(ROUTED.map(key)));
    }
    expect(routed('documents')).toEqual([]);
  });

  it('grants the table to every function, and bucket objects only below the prefixes each one uses', () => {
    const s3Resources = (name: string) =>
      statementsOf(resources, roleOf(fns.get(name)!))
        .filter((s) => asArray(s.Action).some((a: string) => /^s3:(Get|Put|Delete)Object$/.test(a)))
        .flatMap((s) => asArray(s.Resource).map((r: Json) => r['Fn::Join'][1][1]))
        .sort();

    for (const [name] of service) {
      const actions = statementsOf(resources, roleOf(fns.get(name)!)).flatMap((s) => asArray(s.Action));
      expect(actions).toEqual(expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query']));
    }
    expect(s3Resources('query')).toEqual([]);
    expect(s3Resources('documents')).toEqual(['/projects/*', '/uploads/*']);
    // ingest, and the removals it finishes (a purge deletes below every prefix)
    // and the reader function's large results, which it reads back and removes
    expect([...new Set(s3Resources('worker'))]).toEqual(['/drop/*', '/parsed/*', '/projects/*', '/uploads/*']);
    const deletes = statementsOf(resources, roleOf(fns.get('worker')!))
      .filter((s) => asArray(s.Action).includes('s3:DeleteObject'))
      .flatMap((s) => asArray(s.Resource).map((r: Json) => r['Fn::Join'][1][1]));
    expect([...new Set(deletes)].sort()).toEqual(['/drop/*', '/parsed/*', '/projects/*', '/uploads/*']);
  });

  it('invokes the worker on a schedule to sweep stuck documents and unfinished removals', () => {
    const rules = ofType(resources, 'AWS::Events::Rule');
    expect(rules).toHaveLength(1);
    const [[ruleId, rule]] = rules;
    expect(rule.Properties.ScheduleExpression).toBe('rate(5 minutes)');
    expect(rule.Properties.Targets).toHaveLength(1);
    expect(rule.Properties.Targets[0].Arn).toEqual({ 'Fn::GetAtt': [fns.get('worker')!.id, 'Arn'] });
    expect(JSON.parse(rule.Properties.Targets[0].Input)).toEqual({ oprag: 'sweep' });
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      FunctionName: { 'Fn::GetAtt': [fns.get('worker')!.id, 'Arn'] },
      Principal: 'events.amazonaws.com',
      SourceArn: { 'Fn::GetAtt': [ruleId, 'Arn'] },
    });
  });

  it('lets the documents and control functions feed the ingest queue and the worker drain it, reporting failed items', () => {
    const [[queueId, queue]] = ofType(resources, 'AWS::SQS::Queue').filter(([, q]) => q.Properties.RedrivePolicy);
    const sendsTo = (name: string) =>
      statementsOf(resources, roleOf(fns.get(name)!)).filter((s) => asArray(s.Action).includes('sqs:SendMessage'));

    expect(sendsTo('documents').flatMap((s) => referencedIds(s.Resource))).toEqual([queueId]);
    // golden runs and exports: queued by the control function, sent back by the worker while a run waits
    expect(sendsTo('control').flatMap((s) => referencedIds(s.Resource))).toEqual([queueId]);
    expect(sendsTo('worker').flatMap((s) => referencedIds(s.Resource))).toEqual([queueId]);
    expect(sendsTo('query')).toEqual([]);
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [queueId, 'Arn'] },
      FunctionName: { Ref: fns.get('worker')!.id },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    // the worker makes a message it hands back for lack of time visible again at once
    const changes = statementsOf(resources, roleOf(fns.get('worker')!)).filter((s) =>
      asArray(s.Action).includes('sqs:ChangeMessageVisibility'),
    );
    expect(changes.flatMap((s) => referencedIds(s.Resource))).toEqual([queueId]);
    // Lambda requires the visibility timeout to cover the worker's whole run
    expect(queue.Properties.VisibilityTimeout).toBeGreaterThanOrEqual(fns.get('worker')!.props.Timeout);
  });
});
