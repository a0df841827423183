import { Match } from 'aws-cdk-lib/assertions';
import { ROUTE_TABLE } from '../../lambdas/http/route-table';
import { type Json, ofType, opragFunctions, referencedIds, synth } from './synth';

/**
 * What the synthesized API must serve: every route of the app's route table, its project routes
 * also in their short form, each on the function the table names, and no local-only route.
 * Worked out here from the table itself, not through lib/api-routes.ts.
 */
function expectedRoutes(): Map<string, string> {
  const out = new Map<string, string>();
  for (const route of ROUTE_TABLE) {
    if (route.localOnly) continue;
    const gateway = (path: string) => path.replace(/:(\w+)/g, '{$1}');
    // a route served only in its short form (the OpenAI-compatible path) has no long one
    if (!route.shortOnly) out.set(`${route.method} ${gateway(route.path)}`, route.target);
    if (route.short || route.shortOnly) {
      expect(route.path).toMatch(/^\/v1\/projects\/:project_id\//);
      out.set(`${route.method} ${gateway(route.path.replace('/projects/:project_id', ''))}`, route.target);
    }
  }
  return out;
}

const { template, resources } = synth('staging', { dashboardOrigin: 'https://dashboard.example.com' });

/** The path of an API Gateway resource, from its reference. */
const pathOf = (ref: Json): string => {
  if (!ref.Ref) return '';
  const r = resources[ref.Ref].Properties;
  return `${pathOf(r.ParentId)}/${r.PathPart}`;
};

/** `METHOD /path` → the short name of the function its integration invokes (OPTIONS: 'mock'). */
function routes(): Map<string, string> {
  const fnNames = new Map([...opragFunctions(resources)].map(([name, f]) => [f.id, name]));
  const out = new Map<string, string>();
  for (const [, m] of ofType(resources, 'AWS::ApiGateway::Method')) {
    const target =
      m.Properties.Integration.Type === 'MOCK' ? 'mock' : fnNames.get(referencedIds(m.Properties.Integration.Uri)[0]);
    out.set(`${m.Properties.HttpMethod} ${pathOf(m.Properties.ResourceId)}`, target ?? 'unknown');
  }
  return out;
}

describe('OpragApi', () => {
  it("serves every route of the app's route table through its function, and nothing else", () => {
    const served = new Map([...routes()].filter(([key]) => !key.startsWith('OPTIONS ')));
    const expected = expectedRoutes();

    expect(expected.size).toBeGreaterThanOrEqual(37);
    expect(Object.fromEntries(served)).toEqual(Object.fromEntries(expected));
    // the local server's upload URL is in the table, marked local-only, and not on API Gateway
    expect(ROUTE_TABLE.find((r) => r.method === 'PUT' && r.path === '/v1/uploads/:token')?.localOnly).toBe(true);
    expect([...served.keys()].some((key) => key.startsWith('PUT /v1/uploads/'))).toBe(false);
  });

  it('uses Lambda proxy integrations', () => {
    for (const [, m] of ofType(resources, 'AWS::ApiGateway::Method')) {
      if (m.Properties.HttpMethod === 'OPTIONS') continue;
      expect(m.Properties.Integration).toMatchObject({ Type: 'AWS_PROXY', IntegrationHttpMethod: 'POST' });
    }
    // every body reaches the function as the bytes sent (base64), never re-decoded as text on the way:
    // a JSON body that is not UTF-8 is refused by the app, naming the offset (test/aws/handlers.test.ts)
    const [api] = ofType(resources, 'AWS::ApiGateway::RestApi');
    expect(api[1].Properties.BinaryMediaTypes).toEqual(['*/*']);
  });

  it("streams the query function's answers (InvokeWithResponseStream), the others buffered within 29 seconds", () => {
    const fns = opragFunctions(resources);
    const targetOf = new Map([...fns].map(([name, f]) => [f.id, name]));
    const integrations = ofType(resources, 'AWS::ApiGateway::Method')
      .filter(([, m]) => m.Properties.HttpMethod !== 'OPTIONS')
      .map(([, m]) => ({
        target: targetOf.get(referencedIds(m.Properties.Integration.Uri)[0]),
        route: `${m.Properties.HttpMethod} ${pathOf(m.Properties.ResourceId)}`,
        integration: m.Properties.Integration,
        uri: JSON.stringify(m.Properties.Integration.Uri),
      }));
    const streamed = integrations.filter((i) => i.target === 'query');
    const queryTimeoutMs = fns.get('query')!.props.Timeout * 1000;

    // the chat routes, short forms and the OpenAI-compatible one included
    expect(streamed.map((i) => i.route)).toEqual(
      expect.arrayContaining([
        'POST /v1/projects/{project_id}/chat',
        'POST /v1/chat',
        'POST /v1/chat/completions',
        'POST /v1/retrieve',
      ]),
    );
    for (const { integration, uri } of streamed) {
      expect(integration).toMatchObject({ Type: 'AWS_PROXY', ResponseTransferMode: 'STREAM' });
      expect(uri).toContain(':lambda:path/2021-11-15/functions/');
      expect(uri).toContain('/response-streaming-invocations');
      // API Gateway waits as long as the function may run, beyond 29 s and within the 15 minutes allowed
      expect(integration.TimeoutInMillis).toBe(queryTimeoutMs);
      expect(integration.TimeoutInMillis).toBeGreaterThan(29_000);
      expect(integration.TimeoutInMillis).toBeLessThanOrEqual(15 * 60_000);
    }
    // InvokeWithResponseStream is authorized by the same action as Invoke
    const queryId = fns.get('query')!.id;
    const [[, permission]] = ofType(resources, 'AWS::Lambda::Permission').filter(
      ([, p]) =>
        p.Properties.Principal === 'apigateway.amazonaws.com' &&
        referencedIds(p.Properties.FunctionName)[0] === queryId,
    );
    expect(permission.Properties.Action).toBe('lambda:InvokeFunction');
    const buffered = integrations.filter((i) => i.target !== 'query');
    expect(buffered.length).toBeGreaterThan(20);
    for (const { integration, uri } of buffered) {
      expect(integration.ResponseTransferMode ?? 'BUFFERED').toBe('BUFFERED');
      expect(uri).toContain(':lambda:path/2015-03-31/functions/');
      expect(integration.TimeoutInMillis ?? 29_000).toBeLessThanOrEqual(29_000);
    }
  });

  it('validates that every route carries the Authorization header, and answers 401 in the API.md shape when not', () => {
    const [[validatorId, validator]] = ofType(resources, 'AWS::ApiGateway::RequestValidator');

    expect(validator.Properties.ValidateRequestParameters).toBe(true);
    for (const [, m] of ofType(resources, 'AWS::ApiGateway::Method')) {
      if (m.Properties.HttpMethod === 'OPTIONS') continue;
      expect(m.Properties.RequestValidatorId).toEqual({ Ref: validatorId });
      // the OpenAPI document is served without a key
      const keyless = pathOf(m.Properties.ResourceId) === '/v1/openapi.json';
      expect(m.Properties.RequestParameters?.['method.request.header.Authorization']).toBe(keyless ? undefined : true);
    }
    template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: 'BAD_REQUEST_PARAMETERS',
      StatusCode: '401',
      ResponseTemplates: { 'application/json': Match.stringLikeRegexp('"type":"unauthorized"') },
    });
    template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: 'MISSING_AUTHENTICATION_TOKEN',
      StatusCode: '404',
      ResponseTemplates: { 'application/json': Match.stringLikeRegexp('"type":"not_found"') },
    });
  });

  it('throttles the stage and writes JSON access logs, never request bodies', () => {
    const [[, stage]] = ofType(resources, 'AWS::ApiGateway::Stage');
    const [settings] = stage.Properties.MethodSettings;

    expect(stage.Properties.StageName).toBe('staging');
    expect(settings).toMatchObject({
      HttpMethod: '*',
      ResourcePath: '/*',
      ThrottlingRateLimit: 500,
      ThrottlingBurstLimit: 1000,
    });
    expect(settings.DataTraceEnabled).toBe(false);
    expect(stage.Properties.TracingEnabled).toBe(true);
    const logGroupId = referencedIds(stage.Properties.AccessLogSetting.DestinationArn)[0];
    expect(resources[logGroupId].Properties.RetentionInDays).toBe(30);
    expect(JSON.parse(stage.Properties.AccessLogSetting.Format)).toHaveProperty('requestId', '$context.requestId');
  });

  it('answers CORS preflights for the dashboard origin only', () => {
    const preflights = ofType(resources, 'AWS::ApiGateway::Method').filter(
      ([, m]) => m.Properties.HttpMethod === 'OPTIONS',
    );

    expect(preflights.length).toBeGreaterThan(0);
    for (const [, m] of preflights) {
      const headers = m.Properties.Integration.IntegrationResponses[0].ResponseParameters;
      expect(headers['method.response.header.Access-Control-Allow-Origin']).toBe("'https://dashboard.example.com'");
      expect(headers['method.response.header.Access-Control-Allow-Headers']).toMatch(/Authorization/);
      // binaryMediaTypes */* would otherwise turn every preflight into a 500
      expect(m.Properties.Integration.ContentHandling).toBe('CONVERT_TO_TEXT');
      expect(m.Properties.Integration.IntegrationResponses[0].ContentHandling).toBe('CONVERT_TO_TEXT');
    }
    // without a configured origin, the dashboard's own distribution (test/infra/dashboard.test.ts)
    const withoutOrigin = synth('staging').resources;
    for (const [, m] of ofType(withoutOrigin, 'AWS::ApiGateway::Method')) {
      if (m.Properties.HttpMethod !== 'OPTIONS') continue;
      const allowed = m.Properties.Integration.IntegrationResponses[0].ResponseParameters;
      expect(referencedIds(allowed['method.response.header.Access-Control-Allow-Origin'])).toEqual([
        expect.stringMatching(/^DashboardDistribution/),
      ]);
    }
  });

  it('grants API Gateway one invoke permission per function instead of one per method', () => {
    const permissions = ofType(resources, 'AWS::Lambda::Permission').filter(
      ([, p]) => p.Properties.Principal === 'apigateway.amazonaws.com',
    );
    const fnIds = ['control', 'documents', 'query'].map((name) => opragFunctions(resources).get(name)!.id);

    expect(permissions.map(([, p]) => referencedIds(p.Properties.FunctionName)[0]).sort()).toEqual(fnIds.sort());
  });
});
