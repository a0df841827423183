import type { ApiEvent } from '../../lambdas/http/types';

/** An API Gateway (REST, proxy) event as a function receives it: a bearer key and a JSON body. */
export function apiEvent(method: string, path: string, key: string, body?: unknown): ApiEvent {
  return {
    httpMethod: method,
    path,
    resource: path,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', host: 'api.example.test' },
    multiValueHeaders: {},
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    body: body === undefined ? null : JSON.stringify(body),
    isBase64Encoded: false,
    requestContext: { stage: 'staging', domainName: 'api.example.test', requestId: 'r1' } as ApiEvent['requestContext'],
  };
}
