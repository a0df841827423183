import type { ApiEvent } from '../../lambdas/http/types';

/**
 * An API Gateway (REST, proxy) event as a function receives it: a bearer key and a JSON body. A
 * query string in `target` goes where API Gateway puts it, in `queryStringParameters`.
 */
export function apiEvent(method: string, target: string, key: string, body?: unknown): ApiEvent {
  const [path, query] = target.split('?');
  return {
    httpMethod: method,
    path,
    resource: path,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', host: 'api.example.test' },
    multiValueHeaders: {},
    queryStringParameters: query ? Object.fromEntries(new URLSearchParams(query)) : null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    body: body === undefined ? null : JSON.stringify(body),
    isBase64Encoded: false,
    requestContext: { stage: 'staging', domainName: 'api.example.test', requestId: 'r1' } as ApiEvent['requestContext'],
  };
}
