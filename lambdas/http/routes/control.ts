import { accepted, created, ok } from '../reply';
import { declared } from '../route-table';
import { pageQuery, schemas } from '../schemas';
import type { Route } from '../types';
import { jsonBody, validate } from '../validate';

/** Company, projects, keys, usage, audit, export and project deletion. */
export const controlRoutes: Route[] = [
  {
    ...declared('me'),
    handle: async (r) => ok(await r.services.keys.me(r.principal)),
  },
  {
    ...declared('company.audit'),
    handle: async (r) =>
      ok(await r.services.audit.listCompany(r.company(false), validate(schemas.auditQuery, r.query))),
  },
  {
    ...declared('company.get'),
    handle: async (r) => ok(await r.services.keys.getCompany(r.company(false))),
  },
  {
    ...declared('company.keys.create'),
    handle: async (r) =>
      created(await r.services.keys.createCompanyKey(r.company(true), validate(schemas.companyKey, jsonBody(r.body)))),
  },
  {
    ...declared('company.keys.list'),
    handle: async (r) => ok(await r.services.keys.listCompanyKeys(r.company(false))),
  },
  {
    ...declared('company.keys.revoke'),
    handle: async (r) => ok(await r.services.keys.revokeCompanyKey(r.company(true), r.params.key_id)),
  },
  {
    ...declared('projects.create'),
    handle: async (r) =>
      created(
        await r.services.projects.createProject(r.company(true), validate(schemas.createProject, jsonBody(r.body))),
      ),
  },
  {
    ...declared('projects.list'),
    handle: async (r) => ok(await r.services.projects.listProjects(r.company(false), validate(pageQuery, r.query))),
  },
  {
    ...declared('projects.get'),
    handle: async (r) => ok(await r.services.projects.getProject(r.project('project.read'))),
  },
  {
    ...declared('projects.update'),
    handle: async (r) =>
      ok(
        await r.services.projects.updateProject(
          r.project('project.write'),
          validate(schemas.patchProject, jsonBody(r.body)),
        ),
      ),
  },
  {
    ...declared('projects.delete'),
    handle: async (r) => {
      const receipt = await r.services.projects.deleteProject(r.project('project.write'));
      // the purge receipt stays in the company's audit after the project's own log is gone
      return { ...ok(receipt), audit: { deleted: receipt.deleted } };
    },
  },
  {
    ...declared('projects.usage'),
    handle: async (r) =>
      ok(await r.services.projects.usage(r.project('project.read'), validate(schemas.usageQuery, r.query))),
  },
  {
    ...declared('projects.export'),
    handle: async (r) => ({
      status: 200,
      raw: {
        body: await r.services.exports.exportProject(r.project('project.export')),
        contentType: 'application/x-ndjson',
      },
    }),
  },
  {
    ...declared('exports.create'),
    handle: async (r) =>
      accepted(
        await r.services.exports.createExport(r.project('project.export'), validate(schemas.exportCreate, r.query)),
      ),
  },
  {
    ...declared('exports.get'),
    handle: async (r) =>
      ok(await r.services.exports.getExport(r.project('project.export'), r.params.export_id, r.baseUrl)),
  },
  {
    ...declared('exports.download'),
    handle: async (r) => {
      const file = await r.services.exports.downloadExport(r.params.token);
      return {
        status: 200,
        raw: { body: file.bytes, contentType: file.contentType },
        headers: { 'content-disposition': `attachment; filename="${file.filename}"`, 'cache-control': 'no-store' },
      };
    },
  },
  {
    ...declared('keys.create'),
    handle: async (r) =>
      created(
        await r.services.keys.createProjectKey(
          r.project('project.write'),
          validate(schemas.projectKey, jsonBody(r.body)),
        ),
      ),
  },
  {
    ...declared('keys.list'),
    handle: async (r) => ok(await r.services.keys.listProjectKeys(r.project('project.read'))),
  },
  {
    ...declared('keys.revoke'),
    handle: async (r) => ok(await r.services.keys.revokeProjectKey(r.project('project.write'), r.params.key_id)),
  },
  {
    ...declared('audit.list'),
    handle: async (r) =>
      ok(await r.services.audit.list(r.project('audit.read'), validate(schemas.auditQuery, r.query))),
  },
];
