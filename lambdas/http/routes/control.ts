import { created, ok } from '../reply';
import { pageQuery, schemas } from '../schemas';
import type { Route } from '../types';
import { jsonBody, validate } from '../validate';

/** Company, projects, keys, usage, audit, export and project deletion. */
export const controlRoutes: Route[] = [
  {
    method: 'GET',
    path: '/v1/company',
    action: 'company.get',
    company: 'read',
    handle: async (r) => ok(await r.services.keys.getCompany(r.company(false))),
  },
  {
    method: 'POST',
    path: '/v1/company/keys',
    action: 'company.keys.create',
    company: 'write',
    handle: async (r) =>
      created(await r.services.keys.createCompanyKey(r.company(true), validate(schemas.companyKey, jsonBody(r.body)))),
  },
  {
    method: 'GET',
    path: '/v1/company/keys',
    action: 'company.keys.list',
    company: 'read',
    handle: async (r) => ok(await r.services.keys.listCompanyKeys(r.company(false))),
  },
  {
    method: 'DELETE',
    path: '/v1/company/keys/:key_id',
    action: 'company.keys.revoke',
    company: 'write',
    handle: async (r) => ok(await r.services.keys.revokeCompanyKey(r.company(true), r.params.key_id)),
  },
  {
    method: 'POST',
    path: '/v1/projects',
    action: 'projects.create',
    company: 'write',
    handle: async (r) =>
      created(
        await r.services.projects.createProject(r.company(true), validate(schemas.createProject, jsonBody(r.body))),
      ),
  },
  {
    method: 'GET',
    path: '/v1/projects',
    action: 'projects.list',
    company: 'read',
    handle: async (r) => ok(await r.services.projects.listProjects(r.company(false), validate(pageQuery, r.query))),
  },
  {
    method: 'GET',
    path: '/v1/projects/:project_id',
    action: 'projects.get',
    permission: 'project.read',
    handle: async (r) => ok(await r.services.projects.getProject(r.project('project.read'))),
  },
  {
    method: 'PATCH',
    path: '/v1/projects/:project_id',
    action: 'projects.update',
    permission: 'project.write',
    handle: async (r) =>
      ok(
        await r.services.projects.updateProject(
          r.project('project.write'),
          validate(schemas.patchProject, jsonBody(r.body)),
        ),
      ),
  },
  {
    method: 'DELETE',
    path: '/v1/projects/:project_id',
    action: 'projects.delete',
    permission: 'project.write',
    handle: async (r) => ok(await r.services.projects.deleteProject(r.project('project.write'))),
  },
  {
    method: 'GET',
    path: '/v1/projects/:project_id/usage',
    action: 'projects.usage',
    permission: 'project.read',
    handle: async (r) =>
      ok(await r.services.projects.usage(r.project('project.read'), validate(schemas.usageQuery, r.query))),
  },
  {
    method: 'GET',
    path: '/v1/projects/:project_id/export',
    action: 'projects.export',
    permission: 'project.export',
    handle: async (r) => ({
      status: 200,
      raw: {
        body: await r.services.exports.exportProject(r.project('project.export')),
        contentType: 'application/x-ndjson',
      },
    }),
  },
  {
    method: 'POST',
    path: '/v1/projects/:project_id/keys',
    action: 'keys.create',
    permission: 'project.write',
    handle: async (r) =>
      created(
        await r.services.keys.createProjectKey(
          r.project('project.write'),
          validate(schemas.projectKey, jsonBody(r.body)),
        ),
      ),
  },
  {
    method: 'GET',
    path: '/v1/projects/:project_id/keys',
    action: 'keys.list',
    permission: 'project.read',
    handle: async (r) => ok(await r.services.keys.listProjectKeys(r.project('project.read'))),
  },
  {
    method: 'DELETE',
    path: '/v1/projects/:project_id/keys/:key_id',
    action: 'keys.revoke',
    permission: 'project.write',
    handle: async (r) => ok(await r.services.keys.revokeProjectKey(r.project('project.write'), r.params.key_id)),
  },
  {
    method: 'GET',
    path: '/v1/projects/:project_id/audit',
    action: 'audit.list',
    permission: 'audit.read',
    handle: async (r) => ok(await r.services.audit.list(r.project('audit.read'), validate(pageQuery, r.query))),
  },
];
