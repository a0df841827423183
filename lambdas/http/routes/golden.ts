import { accepted, created, ok } from '../reply';
import { declared } from '../route-table';
import { schemas } from '../schemas';
import type { Route } from '../types';
import { jsonBody, validate } from '../validate';

export const goldenRoutes: Route[] = [
  {
    ...declared('golden.create'),
    handle: async (r) =>
      created(
        await r.services.golden.create(r.project('golden.write'), validate(schemas.goldenCreate, jsonBody(r.body))),
      ),
  },
  {
    ...declared('golden.list'),
    handle: async (r) => ok(await r.services.golden.list(r.project('golden.read'))),
  },
  {
    ...declared('golden.run'),
    handle: async (r) =>
      accepted(await r.services.golden.run(r.project('golden.write'), validate(schemas.goldenRun, jsonBody(r.body)))),
  },
  {
    ...declared('golden.update'),
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
    ...declared('golden.delete'),
    handle: async (r) => ok(await r.services.golden.remove(r.project('golden.write'), r.params.golden_id)),
  },
  {
    ...declared('golden.runs'),
    handle: async (r) => ok(await r.services.golden.runs(r.project('golden.read'))),
  },
  {
    ...declared('golden.runs.get'),
    handle: async (r) => ok(await r.services.golden.getRun(r.project('golden.read'), r.params.run_id)),
  },
];
