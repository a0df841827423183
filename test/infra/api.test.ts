import { Match } from 'aws-cdk-lib/assertions';
import { type Json, ofType, opragFunctions, referencedIds, synth } from './synth';

/**
 * Every route of API.md (../shared/API.md), written out by hand from its tables so that a route
 * missing from lib/api-routes.ts fails here. Parameter names are not compared: API Gateway needs
 * them only to match the path, and the app routes on the path itself.
 */
const API_MD: [string, string, 'control' | 'documents' | 'query'][] = [
  ['GET', '/v1/company', 'control'],
  ['POST', '/v1/company/keys', 'control'],
  ['GET', '/v1/company/keys', 'control'],
  ['DELETE', '/v1/company/keys/{key_id}', 'control'],
  ['POST', '/v1/projects', 'control'],
  ['GET', '/v1/projects', 'control'],
  ['GET', '/v1/projects/{project_id}', 'control'],
  ['PATCH', '/v1/projects/{project_id}', 'control'],
  ['GET', '/v1/projects/{project_id}/usage', 'control'],
  ['DELETE', '/v1/projects/{project_id}', 'control'],
  ['GET', '/v1/projects/{project_id}/export', 'control'],
  ['POST', '/v1/projects/{project_id}/keys', 'control'],
  ['GET', '/v1/projects/{project_id}/keys', 'control'],
  ['DELETE', '/v1/projects/{project_id}/keys/{key_id}', 'control'],
  ['GET', '/v1/projects/{project_id}/audit', 'control'],
  ['POST', '/v1/projects/{project_id}/golden-questions', 'control'],
  ['GET', '/v1/projects/{project_id}/golden-questions', 'control'],
  ['PATCH', '/v1/projects/{project_id}/golden-questions/{id}', 'control'],
  ['DELETE', '/v1/projects/{project_id}/golden-questions/{id}', 'control'],
  ['POST', '/v1/projects/{project_id}/golden-questions/run', 'control'],
  ['GET', '/v1/projects/{project_id}/golden-runs', 'control'],
  ['POST', '/v1/projects/{project_id}/documents', 'documents'],
  ['GET', '/v1/projects/{project_id}/documents', 'documents'],
  ['GET', '/v1/projects/{project_id}/documents/{document_id}', 'documents'],
  ['GET', '/v1/projects/{project_id}/documents/{document_id}/content', 'documents'],
  ['DELETE', '/v1/projects/{project_id}/documents/{document_id}', 'documents'],
  ['POST', '/v1/projects/{project_id}/uploads', 'documents'],
  ['POST', '/v1/projects/{project_id}/retrieve', 'query'],
  ['POST', '/v1/projects/{project_id}/chat', 'query'],
  // the short forms a project key may call
  ['POST', '/v1/documents', 'documents'],
  ['GET', '/v1/documents', 'documents'],
  ['GET', '/v1/documents/{document_id}', 'documents'],
  ['GET', '/v1/documents/{document_id}/content', 'documents'],
  ['DELETE', '/v1/documents/{document_id}', 'documents'],
  ['POST', '/v1/uploads', 'documents'],
  ['POST', '/v1/retrieve', 'query'],
  ['POST', '/v1/chat', 'query'],
];

const normalize = (path: string) => path.replace(/\{[^}]+\}/g, '{}');

const { template, resources } = synth('staging', { dashboardOrigin: 'https://dashboard.example.com' });

/** `METHOD /path` → the short name of the function its integration invokes (OPTIONS: 'mock'). */
function routes(): Map<string, string> {
  const fnNames = new Map([...opragFunctions(resources)].map(([name, f]) => [f.id, name]));
  const pathOf = (ref: Json): string => {
    if (!ref.Ref) return '';
    const r = resources[ref.Ref].Properties;
    return `${pathOf(r.ParentId)}/${r.PathPart}`;
  };
  const out = new Map<string, string>();
  for (const [, m] of ofType(resources, 'AWS::ApiGateway::Method')) {
    const target =
      m.Properties.Integration.Type === 'MOCK' ? 'mock' : fnNames.get(referencedIds(m.Properties.Integration.Uri)[0]);
    out.set(`${m.Properties.HttpMethod} ${normalize(pathOf(m.Properties.ResourceId))}`, target ?? 'unknown');
  }
  return out;
}

describe('OpragApi', () => {
  it('serves every API.md route through its function, and nothing else', () => {
    const served = new Map([...routes()].filter(([key]) => !key.startsWith('OPTIONS ')));
    const expected = new Map(API_MD.map(([method, path, target]) => [`${method} ${normalize(path)}`, target]));

    expect(Object.fromEntries(served)).toEqual(Object.fromEntries(expected));
    expect(served.has('PUT /v1/uploads/{}')).toBe(false);
  });

  it('uses Lambda proxy integrations', () => {
    for (const [, m] of ofType(resources, 'AWS::ApiGateway::Method')) {
      if (m.Properties.HttpMethod === 'OPTIONS') continue;
      expect(m.Properties.Integration).toMatchObject({ Type: 'AWS_PROXY', IntegrationHttpMethod: 'POST' });
    }
  });

  it('validates that every route carries the Authorization header, and answers 401 in the API.md shape when not', () => {
    const [[validatorId, validator]] = ofType(resources, 'AWS::ApiGateway::RequestValidator');

    expect(validator.Properties.ValidateRequestParameters).toBe(true);
    for (const [, m] of ofType(resources, 'AWS::ApiGateway::Method')) {
      if (m.Properties.HttpMethod === 'OPTIONS') continue;
      expect(m.Properties.RequestValidatorId).toEqual({ Ref: validatorId });
      expect(m.Properties.RequestParameters['method.request.header.Authorization']).toBe(true);
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
      ThrottlingRateLimit: 50,
      ThrottlingBurstLimit: 100,
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
