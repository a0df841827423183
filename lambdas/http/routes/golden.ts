import { created, ok } from '../reply';
import { schemas } from '../schemas';
import type { Route } from '../types';
import { jsonBody, validate } from '../validate';

export const goldenRoutes: Route[] = [
  {
    method: 'POST',
    path: '/v1/projects/:project_id/golden-questions',
    action: 'golden.create',
    permission: 'golden.write',
    handle: async (r) =>
      created(
        await r.services.golden.create(r.project('golden.write'), validate(schemas.goldenCreate, jsonBody(r.body))),
      ),
  },
  {
    method: 'GET',
    path: '/v1/projects/:project_id/golden-questions',
    action: 'golden.list',
    permission: 'golden.read',
    handle: async (r) => ok(await r.services.golden.list(r.project('golden.read'))),
  },
  {
    method: 'POST',
    path: '/v1/projects/:project_id/golden-questions/run',
    action: 'golden.run',
    permission: 'golden.write',
    handle: async (r) => ok(await r.services.golden.run(r.project('golden.write'))),
  },
  {
    method: 'PATCH',
    path: '/v1/projects/:project_id/golden-questions/:golden_id',
    action: 'golden.update',
    permission: 'golden.write',
    handle: async (r) =>
      ok(
        await r.services.golden.update(
          r.project('golden.write'),
          r.params.golden_id,
          validate(schemas.goldenPatch, jsonBody(r.body)),
        ),
      ),
  },
  {
    method: 'DELETE',
    path: '/v1/projects/:project_id/golden-questions/:golden_id',
    action: 'golden.delete',
    permission: 'golden.write',
    handle: async (r) => ok(await r.services.golden.remove(r.project('golden.write'), r.params.golden_id)),
  },
  {
    method: 'GET',
    path: '/v1/projects/:project_id/golden-runs',
    action: 'golden.runs',
    permission: 'golden.read',
    handle: async (r) => ok(await r.services.golden.runs(r.project('golden.read'))),
  },
];
