import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROUTE_TABLE } from '../../lambdas/http/route-table';

const DOC = readFileSync(join(__dirname, '../../docs/api.md'), 'utf8');
const PROJECT = '/v1/projects/{project_id}';

/**
 * Where docs/api.md names a route: a line holding its method and its path (`{name}` parameters),
 * a project route's path written from its project on (`.../documents/{document_id}`) as the
 * reference writes it.
 */
function documented(method: string, path: string, doc: string): boolean {
  const p = path.replace(/:([a-z_]+)/g, '{$1}');
  const shown = p.startsWith(`${PROJECT}/`) ? p.slice(PROJECT.length) : p;
  return doc.split('\n').some((line) => line.includes(shown) && new RegExp(`\\b${method}\\b`).test(line));
}

describe('docs/api.md, the reference a vendor reads', () => {
  it('names every route of the route table with its method and path', () => {
    const missing = ROUTE_TABLE.filter((r) => !documented(r.method, r.path, DOC)).map((r) => `${r.method} ${r.path}`);
    expect(missing).toEqual([]);
  });

  it('would notice a route it does not name', () => {
    expect(documented('GET', '/v1/projects/:project_id/documents/:document_id/content', DOC)).toBe(true);
    expect(documented('PUT', '/v1/projects/:project_id/documents/:document_id/content', DOC)).toBe(false);
    expect(documented('GET', '/v1/projects/:project_id/nothing-here', DOC)).toBe(false);
  });

  it('links only to files in the repository and to its own sections', () => {
    const links = [...DOC.matchAll(/\]\(([^)]+)\)/g)].map((m) => m[1]);
    expect(links.length).toBeGreaterThan(0);
    expect(links.filter((l) => /^[a-z]+:/i.test(l) || l.startsWith('//'))).toEqual([]);
    for (const link of links.filter((l) => !l.startsWith('#'))) {
      expect(() => readFileSync(join(__dirname, '../../docs', link.split('#')[0]))).not.toThrow();
    }
  });
});
