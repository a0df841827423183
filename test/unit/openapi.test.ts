import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ALL_ROUTES } from '../../lambdas/http/app';
import { openApiDocument } from '../../lambdas/http/openapi';
import { compileRoutes } from '../../lambdas/http/router';
import { OPENAPI_FILE, openApiText } from '../../scripts/openapi';

type Doc = {
  openapi: string;
  paths: Record<string, Record<string, Record<string, unknown>>>;
  components: { schemas: Record<string, unknown> };
};

const ROOT = join(__dirname, '../..');
/** A part of the document, read by path. */
// biome-ignore lint/suspicious/noExplicitAny: a JSON document, read field by field and asserted on
type Node = Record<string, any>;
const dir = mkdtempSync(join(tmpdir(), 'oprag-openapi-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The real validator's verdict on a document. */
function validate(doc: unknown): { valid: boolean; version: string; errors: unknown } {
  const file = join(dir, `doc-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify(doc));
  const out = execFileSync(process.execPath, [join(ROOT, 'test/helpers/validate-openapi.mjs'), file], { cwd: ROOT });
  return JSON.parse(out.toString('utf8'));
}

const doc = openApiDocument('https://api.example.com/staging') as Doc;

describe('the OpenAPI document', () => {
  it('is a valid OpenAPI 3.1 document, and the validator does refuse a broken one', () => {
    expect(validate(doc)).toMatchObject({ valid: true, version: '3.1' });

    const broken = JSON.parse(JSON.stringify(doc));
    broken.paths['/v1/me'].get.parameters = [{ name: 'project_id' }]; // a parameter must say where it goes
    expect(validate(broken).valid).toBe(false);
    const dangling = JSON.parse(JSON.stringify(doc));
    dangling.paths['/v1/me'].get.responses['200'].content['application/json'].schema = {
      $ref: '#/components/schemas/No',
    };
    expect(validate(dangling).valid).toBe(false);
  });

  it('holds every route of the app, short forms included, and no path the app does not serve', () => {
    const compiled = compileRoutes(ALL_ROUTES).map((c) => {
      const path = c.shortForm ? `/v1${c.route.path.slice('/v1/projects/:project_id'.length)}` : c.route.path;
      return `${c.method} ${path.replace(/:([a-z_]+)/g, '{$1}')}`;
    });
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`),
    );

    expect(new Set(compiled).size).toBe(compiled.length);
    expect([...documented].sort()).toEqual([...compiled].sort());
    expect(documented).toContain('GET /v1/openapi.json');
    expect(documented).toContain('POST /v1/chat');
  });

  it('describes keys, path parameters, bodies, queries, answers and the error body', () => {
    const chat = doc.paths['/v1/projects/{project_id}/chat'].post as Node;
    expect(chat.security).toEqual([{ bearer: [] }]);
    expect(chat.parameters).toEqual([{ name: 'project_id', in: 'path', required: true, schema: { type: 'string' } }]);
    const body = chat.requestBody.content['application/json'].schema;
    expect(body.properties.question).toMatchObject({ type: 'string', maxLength: 4000 });
    expect(body.properties.top_k).toMatchObject({ type: 'integer', minimum: 1, maximum: 100 });
    expect(chat.responses['200'].content['application/json'].schema).toEqual({
      $ref: '#/components/schemas/ChatAnswer',
    });
    expect(chat.responses['404'].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/Error' });
    expect(chat.responses['429']).toBeDefined();

    const list = doc.paths['/v1/projects/{project_id}/documents'].get as Node;
    expect(list.parameters.map((p: { name: string; in: string }) => `${p.in}:${p.name}`)).toEqual([
      'path:project_id',
      'query:limit',
      'query:cursor',
      'query:status',
    ]);
    const openapi = doc.paths['/v1/openapi.json'].get as Node;
    expect(openapi.security).toEqual([]);
    expect(openapi.responses['401']).toBeUndefined();

    const error = doc.components.schemas.Error as Node;
    expect(error.required).toEqual(['error']);
    expect(error.properties.error.required).toEqual(['type', 'message', 'request_id']);
    expect((doc as unknown as { servers: unknown }).servers).toEqual([{ url: 'https://api.example.com/staging' }]);
  });

  it('is checked in as docs/openapi.json, exactly as generated (npm run openapi)', () => {
    expect(readFileSync(OPENAPI_FILE, 'utf8')).toBe(openApiText());
  });
});
