import { created, ok } from '../reply';
import { declared } from '../route-table';
import { pageQuery, schemas } from '../schemas';
import type { Route } from '../types';
import { jsonBody, validate } from '../validate';

/** Company, projects, keys, usage, audit, export and project deletion. */
export const controlRoutes: Route[] = [
  {
    ...declared('company.get'),
    handle: async (r) => ok(await r.services.keys.getCompany(r.principal)),
  },
  {
    ...declared('company.keys.create'),
    handle: async (r) =>
      created(await r.services.keys.createCompanyKey(r.principal, validate(schemas.companyKey, jsonBody(r.body)))),
  },
  {
    ...declared('company.keys.list'),
    handle: async (r) => ok(await r.services.keys.listCompanyKeys(r.principal)),
  },
  {
    ...declared('company.keys.revoke'),
    handle: async (r) => ok(await r.services.keys.revokeCompanyKey(r.principal, r.params.key_id)),
  },
  {
    ...declared('projects.create'),
    handle: async (r) =>
      created(await r.services.projects.createProject(r.principal, validate(schemas.createProject, jsonBody(r.body)))),
  },
  {
    ...declared('projects.list'),
    handle: async (r) => ok(await r.services.projects.listProjects(r.principal, validate(pageQuery, r.query))),
  },
  {
    ...declared('projects.get'),
    handle: async (r) => ok(await r.services.projects.getProject(r.principal, r.params.project_id)),
  },
  {
    ...declared('projects.update'),
    handle: async (r) =>
      ok(
        await r.services.projects.updateProject(
          r.principal,
          r.params.project_id,
          validate(schemas.patchProject, jsonBody(r.body)),
        ),
      ),
  },
  {
    ...declared('projects.delete'),
    handle: async (r) => ok(await r.services.projects.deleteProject(r.principal, r.params.project_id)),
  },
  {
    ...declared('projects.usage'),
    handle: async (r) =>
      ok(await r.services.projects.usage(r.principal, r.params.project_id, validate(schemas.usageQuery, r.query))),
  },
  {
    ...declared('projects.export'),
    handle: async (r) => ({
      status: 200,
      raw: {
        body: await r.services.exports.exportProject(r.principal, r.params.project_id),
        contentType: 'application/x-ndjson',
      },
    }),
  },
  {
    ...declared('keys.create'),
    handle: async (r) =>
      created(
        await r.services.keys.createProjectKey(
          r.principal,
          r.params.project_id,
          validate(schemas.projectKey, jsonBody(r.body)),
        ),
      ),
  },
  {
    ...declared('keys.list'),
    handle: async (r) => ok(await r.services.keys.listProjectKeys(r.principal, r.params.project_id)),
  },
  {
    ...declared('keys.revoke'),
    handle: async (r) => ok(await r.services.keys.revokeProjectKey(r.principal, r.params.project_id, r.params.key_id)),
  },
  {
    ...declared('audit.list'),
    handle: async (r) =>
      ok(await r.services.audit.list(r.principal, r.params.project_id, validate(pageQuery, r.query))),
  },
];
