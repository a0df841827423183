/**
 * The OpenAPI 3.1 document of the API (`GET /v1/openapi.json`), generated from the route table and
 * the zod schemas the handlers validate with, so it cannot drift from what is served: every route
 * (and its short form) with its path parameters, query, body, key and answers, and the error body.
 */
import type { z } from 'zod';
import { ignoreOverride, zodToJsonSchema } from 'zod-to-json-schema';
import { type ResponseSpec, ROUTE_SPECS } from './route-specs';
import { ROUTE_TABLE, type RouteAction, type RouteDeclaration, servedPaths } from './route-table';
import * as wire from './wire-schemas';

type Json = Record<string, unknown>;

export const API_VERSION = '1.1';

const ERRORS: Record<number, string> = {
  400: 'invalid_request: the body or query is not valid',
  401: 'unauthorized: the key is missing, unknown, revoked or expired',
  403: 'forbidden: the key lacks the scope or role this needs',
  404: "not_found: no such route, or nothing this key may reach (another tenant's project looks the same)",
  409: 'conflict: a quota is full, or the state does not allow it',
  413: 'payload_too_large: the body is larger than a request may carry; send files through uploads',
  415: 'unsupported_media_type: not a supported document format',
  422: 'unprocessable: the document was accepted but could not be read (`document` beside `error`)',
  429: 'rate_limited: the per-minute limit is spent; see `Retry-After`',
};

/** The answers' objects that the document names once, under `components/schemas`. */
const NAMED: Record<string, z.ZodTypeAny> = {
  Error: wire.errorBody,
  Company: wire.company,
  ApiKey: wire.apiKey,
  NewApiKey: wire.newApiKey,
  Project: wire.project,
  Document: wire.documentView,
  Citation: wire.citation,
  ChatAnswer: wire.chatAnswer,
  GoldenQuestion: wire.goldenQuestion,
  GoldenRun: wire.goldenRun,
  AuditEvent: wire.auditEvent,
  UsageDay: wire.usageDay,
};

const NAME_OF = new Map<unknown, string>(Object.entries(NAMED).map(([name, schema]) => [schema._def, name]));

function convert(schema: z.ZodTypeAny, named: boolean): Json {
  // (typed loosely: the converter's generic types recurse too deep for these schemas)
  const out = zodToJsonSchema(schema as never, {
    $refStrategy: 'none',
    // a named object inside another is a reference to its component; at the top it is itself
    override: (def, refs) => {
      const name = named ? NAME_OF.get(def) : undefined;
      return name && refs.currentPath.length > 1 ? { $ref: `#/components/schemas/${name}` } : ignoreOverride;
    },
    effectStrategy: 'input',
    // objects that drop unknown fields declare no `additionalProperties`; `.strict()` ones refuse them
    removeAdditionalStrategy: 'strict',
    allowedAdditionalProperties: undefined,
  }) as Json;
  delete out.$schema;
  return out;
}

/** A request's zod schema as the JSON Schema OpenAPI 3.1 carries: its input form, everything inline. */
export function jsonSchemaOf(schema: z.ZodTypeAny): Json {
  return convert(schema, false);
}

/** An answer's schema, naming the objects of `components/schemas` by reference. */
function answerSchemaOf(schema: z.ZodTypeAny): Json {
  const name = NAME_OF.get(schema._def);
  return name ? { $ref: `#/components/schemas/${name}` } : convert(schema, true);
}

/** The named objects themselves, each referring to the others. */
function namedSchemas(): Json {
  return Object.fromEntries(Object.entries(NAMED).map(([name, schema]) => [name, convert(schema, true)]));
}

/** `/v1/projects/:project_id` → `/v1/projects/{project_id}` */
export function openApiPath(path: string): string {
  return path.replace(/:([a-z_]+)/g, '{$1}');
}

const errorResponse = (description: string) => ({
  description,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
});

function response(spec: ResponseSpec): Json {
  if ('json' in spec) {
    const content: Json = { 'application/json': { schema: answerSchemaOf(spec.json) } };
    if (spec.eventStream) content['text/event-stream'] = { schema: { type: 'string' } };
    return { description: spec.description, content };
  }
  if ('raw' in spec) return { description: spec.description, content: { [spec.raw]: { schema: {} } } };
  const headers = Object.fromEntries(
    Object.entries(spec.headers ?? {}).map(([name, description]) => [
      name,
      { description, schema: { type: 'string' } },
    ]),
  );
  return { description: spec.description, headers };
}

/** The error statuses a route answers: those of its kind, and those its spec names. */
function errorStatuses(route: RouteDeclaration, path: string): number[] {
  const spec = ROUTE_SPECS[route.action as RouteAction];
  const out = new Set<number>(spec.errors ?? []);
  if (spec.body || spec.query || spec.rawBody) out.add(400);
  if (!route.public) out.add(401);
  if (route.permission || route.company || path !== route.path) out.add(403);
  if (path.includes(':')) out.add(404);
  return [...out].sort();
}

function operation(route: RouteDeclaration, path: string, short: boolean): Json {
  const spec = ROUTE_SPECS[route.action as RouteAction];
  const parameters: Json[] = [...path.matchAll(/:([a-z_]+)/g)].map((m) => ({
    name: m[1],
    in: 'path',
    required: true,
    schema: { type: 'string' },
  }));
  if (spec.query) {
    for (const [name, field] of Object.entries(spec.query.shape)) {
      const schema = field as z.ZodTypeAny;
      parameters.push({ name, in: 'query', required: !schema.isOptional(), schema: jsonSchemaOf(schema) });
    }
  }
  const op: Json = {
    operationId: short ? `${route.action}.short` : route.action,
    summary: spec.summary,
    tags: [route.action.split('.')[0]],
    security: route.public ? [] : [{ bearer: [] }],
  };
  if (short) op.description = "The short form: acts on the calling project key's own project.";
  if (parameters.length) op.parameters = parameters;
  if (spec.body || spec.rawBody) {
    const content: Json = {};
    if (spec.body) content['application/json'] = { schema: jsonSchemaOf(spec.body) };
    if (spec.multipart) {
      const fields = jsonSchemaOf(spec.multipart);
      content['multipart/form-data'] = {
        schema: {
          ...fields,
          properties: {
            file: { type: 'string', contentMediaType: 'application/octet-stream' },
            ...(fields.properties as Json),
          },
          required: ['file'],
        },
      };
    }
    if (spec.rawBody)
      content['application/octet-stream'] = {
        schema: { type: 'string', contentMediaType: 'application/octet-stream' },
      };
    op.requestBody = { required: true, content };
  }
  const responses: Json = {};
  for (const [status, r] of Object.entries(spec.responses)) responses[status] = response(r);
  for (const status of errorStatuses(route, path)) responses[status] = errorResponse(ERRORS[status]);
  responses.default = errorResponse('any other error (`internal` for a 500), in the same body');
  op.responses = responses;
  return op;
}

let built: Json | null = null;

/** The document, with `serverUrl` (the API's base URL) as its one server when given. */
export function openApiDocument(serverUrl?: string): Json {
  built ??= buildDocument();
  const { paths, components, ...head } = built;
  return { ...head, ...(serverUrl ? { servers: [{ url: serverUrl }] } : {}), paths, components };
}

function buildDocument(): Json {
  const paths: Record<string, Json> = {};
  const add = (route: RouteDeclaration, path: string, short: boolean) => {
    const key = openApiPath(path);
    paths[key] ??= {};
    paths[key][route.method.toLowerCase()] = operation(route, path, short);
  };
  for (const route of ROUTE_TABLE) for (const path of servedPaths(route)) add(route, path, path !== route.path);
  return {
    openapi: '3.1.0',
    info: {
      title: 'Oprag API',
      version: API_VERSION,
      description:
        "Tenant-isolated, cited answers over each customer's documents. A company key (`oprag_ak_`) acts on its company's projects; a project key (`oprag_pk_`) on its own project only. Every error has the `Error` body and a matching status; every answer carries `x-request-id`.",
    },
    paths,
    components: {
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          description: 'an Oprag API key: `oprag_ak_...` (company) or `oprag_pk_...` (project)',
        },
      },
      schemas: namedSchemas(),
    },
  };
}
