/** The function that serves a route. */
export type ApiTarget = 'control' | 'documents' | 'query';

export interface ApiRoute {
  readonly method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** API Gateway resource path; `{name}` is a path parameter. */
  readonly path: string;
  readonly target: ApiTarget;
}

const PROJECT = '/v1/projects/{project_id}';

/** Data-plane routes served under a project, and as short forms on a project key's own project. */
const PROJECT_SCOPED: [ApiRoute['method'], string, ApiTarget][] = [
  ['POST', '/documents', 'documents'],
  ['GET', '/documents', 'documents'],
  ['GET', '/documents/{document_id}', 'documents'],
  ['GET', '/documents/{document_id}/content', 'documents'],
  ['DELETE', '/documents/{document_id}', 'documents'],
  ['POST', '/uploads', 'documents'],
  ['POST', '/retrieve', 'query'],
  ['POST', '/chat', 'query'],
];

/**
 * Every route of API.md, each mapped to the function that serves it. The middy app in each function
 * routes on the request path again, so a function receives only its own routes here and answers
 * them exactly as the local server does. `PUT /v1/uploads/{token}` is absent on purpose: on AWS the
 * upload URL is an S3 presigned URL, so the bytes never pass through the API.
 */
export const API_ROUTES: readonly ApiRoute[] = [
  { method: 'GET', path: '/v1/company', target: 'control' },
  { method: 'POST', path: '/v1/company/keys', target: 'control' },
  { method: 'GET', path: '/v1/company/keys', target: 'control' },
  { method: 'DELETE', path: '/v1/company/keys/{key_id}', target: 'control' },
  { method: 'POST', path: '/v1/projects', target: 'control' },
  { method: 'GET', path: '/v1/projects', target: 'control' },
  { method: 'GET', path: PROJECT, target: 'control' },
  { method: 'PATCH', path: PROJECT, target: 'control' },
  { method: 'DELETE', path: PROJECT, target: 'control' },
  { method: 'GET', path: `${PROJECT}/usage`, target: 'control' },
  { method: 'GET', path: `${PROJECT}/export`, target: 'control' },
  { method: 'POST', path: `${PROJECT}/keys`, target: 'control' },
  { method: 'GET', path: `${PROJECT}/keys`, target: 'control' },
  { method: 'DELETE', path: `${PROJECT}/keys/{key_id}`, target: 'control' },
  { method: 'GET', path: `${PROJECT}/audit`, target: 'control' },
  { method: 'POST', path: `${PROJECT}/golden-questions`, target: 'control' },
  { method: 'GET', path: `${PROJECT}/golden-questions`, target: 'control' },
  { method: 'PATCH', path: `${PROJECT}/golden-questions/{golden_id}`, target: 'control' },
  { method: 'DELETE', path: `${PROJECT}/golden-questions/{golden_id}`, target: 'control' },
  { method: 'POST', path: `${PROJECT}/golden-questions/run`, target: 'control' },
  { method: 'GET', path: `${PROJECT}/golden-runs`, target: 'control' },
  ...PROJECT_SCOPED.map(([method, rest, target]) => ({ method, path: `${PROJECT}${rest}`, target })),
  ...PROJECT_SCOPED.map(([method, rest, target]) => ({ method, path: `/v1${rest}`, target })),
];

/** The path parameters of a resource path, e.g. `project_id` and `document_id`. */
export function pathParameters(path: string): string[] {
  return [...path.matchAll(/\{([a-z_]+)\}/g)].map((m) => m[1]);
}
