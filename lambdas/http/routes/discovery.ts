import { openApiDocument } from '../openapi';
import { declared } from '../route-table';
import type { Route } from '../types';

export const discoveryRoutes: Route[] = [
  {
    ...declared('openapi'),
    // the document names the base URL it was asked on (the stage's, behind API Gateway)
    handle: async (r) => ({
      status: 200,
      raw: { body: JSON.stringify(openApiDocument(r.baseUrl)), contentType: 'application/json' },
      headers: { 'cache-control': 'public, max-age=300' },
    }),
  },
];
