import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
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

  it('links, like the README and every page of docs/, only to files in the repository and to sections', () => {
    const root = join(__dirname, '../..');
    const pages = [
      'README.md',
      ...readdirSync(join(root, 'docs'))
        .filter((f) => f.endsWith('.md'))
        .map((f) => `docs/${f}`),
    ];
    expect(pages).toContain('docs/api.md');
    for (const page of pages) {
      const text = readFileSync(join(root, page), 'utf8');
      const links = [...text.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]);
      expect([page, links.filter((l) => /^[a-z][a-z0-9+.-]*:/i.test(l) || l.startsWith('//'))]).toEqual([page, []]);
      for (const link of links.filter((l) => !l.startsWith('#'))) {
        const target = join(root, dirname(page), decodeURIComponent(link.split('#')[0]));
        expect([page, link, existsSync(target)]).toEqual([page, link, true]);
      }
    }
  });
});
