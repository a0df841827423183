import { Conflict, Invalid } from '../core/errors';
import { newId } from '../core/ids';
import type { Environment, ProjectLimits, ProjectRecord } from '../core/model';
import { outboundUrlProblem } from '../core/outbound';
import type { CompanyAccess, ProjectAccess } from './access';
import { queueProjectPurge } from './cleanup';
import type { Context } from './context';
import { decodeCursor, encodeCursor } from './cursor';
import { issueProjectKey, publicKey } from './keys';
import { indexOf } from './search';
import { newWebhookSecret } from './webhooks';

export interface ProjectPatch {
  name?: string;
  external_ref?: string | null;
  limits?: ProjectLimits;
  webhook_url?: string | null;
  /** issue a new signing secret (shown once, in this response) */
  rotate_webhook_secret?: boolean;
}

export function publicProject(p: ProjectRecord, stats?: { documents: number; chunks: number; bytes: number }) {
  return {
    id: p.id,
    name: p.name,
    external_ref: p.external_ref,
    environment: p.environment,
    created_at: p.created_at,
    updated_at: p.updated_at,
    limits: p.limits,
    webhook_url: p.webhook_url,
    ...(stats ? { stats } : {}),
  };
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

export function makeProjectServices(ctx: Context) {
  /** What a project holds: its documents and their bytes (records), and its chunks (index). */
  async function statsOf(project: ProjectRecord) {
    const [totals, chunks] = await Promise.all([
      ctx.store.forProject(project.id).documentTotals(),
      indexOf(ctx, project).chunkCount(),
    ]);
    return { documents: totals.documents, chunks, bytes: totals.bytes };
  }

  /**
   * One company may not take every project index of the pool (or the data directory) from the
   * others. Checked before the index is made; two creations at the same instant may both pass
   * at the last free place, so a quota can be passed by the creations in flight, never more.
   */
  async function checkProjectQuota(companyId: string) {
    const company = await ctx.store.getCompany(companyId);
    const quota = company?.max_projects ?? ctx.settings.maxProjectsPerCompany;
    const held = await ctx.store.listProjects(companyId, { limit: quota });
    if (held.items.length >= quota) {
      throw new Conflict(
        `the company holds ${quota} projects, its quota: delete a project, or ask the operator to raise the quota`,
      );
    }
  }

  return {
    async createProject(
      { companyId }: CompanyAccess<true>,
      body: { name: string; external_ref?: string | null; environment?: Environment },
    ) {
      await checkProjectQuota(companyId);
      const now = ctx.iso();
      const project: ProjectRecord = {
        id: newId('project'),
        company_id: companyId,
        name: body.name.trim(),
        external_ref: body.external_ref ?? null,
        environment: body.environment ?? 'production',
        limits: { ...ctx.settings.defaultLimits },
        webhook_url: null,
        webhook_secret: null,
        index_placement: null,
        created_at: now,
        updated_at: now,
      };
      project.index_placement = await ctx.index.createProject(project.id);
      try {
        await ctx.store.createProject(project);
      } catch (e) {
        await indexOf(ctx, project).drop();
        throw e;
      }
      const { record, key } = await issueProjectKey(ctx, project, { name: 'first key' });
      const shown = publicKey(record);
      return {
        project: publicProject(project),
        api_key: {
          id: shown.id,
          key,
          prefix: shown.prefix,
          scopes: record.scopes,
          environment: shown.environment,
          created_at: shown.created_at,
        },
      };
    },

    async listProjects({ companyId }: CompanyAccess, query: { limit?: number; cursor?: string }) {
      const page = await ctx.store.listProjects(companyId, {
        limit: query.limit ?? 50,
        after: decodeCursor(query.cursor),
      });
      // a project being purged is gone for its callers already
      page.items = page.items.filter((p) => !p.deleting_at);
      const stats = await Promise.all(page.items.map(statsOf));
      return {
        projects: page.items.map((p, i) => publicProject(p, stats[i])),
        next_cursor: encodeCursor(page.next_cursor),
      };
    },

    async getProject({ project }: ProjectAccess<'project.read'>) {
      return { project: publicProject(project, await statsOf(project)) };
    },

    async updateProject({ project }: ProjectAccess<'project.write'>, patch: ProjectPatch) {
      if (patch.webhook_url) {
        const problem = outboundUrlProblem(patch.webhook_url, { allowPrivate: ctx.settings.allowPrivateUrls });
        if (problem) throw new Invalid(`webhook_url ${problem}`);
      }
      const webhookUrl = patch.webhook_url !== undefined ? patch.webhook_url : project.webhook_url;
      if (patch.rotate_webhook_secret && !webhookUrl) throw new Invalid('rotate_webhook_secret needs a webhook_url');
      // a secret exists while a URL does; it is issued with the first URL or on request, and shown only then
      const current = webhookUrl ? (project.webhook_secret ?? null) : null;
      const issued = webhookUrl && (!current || patch.rotate_webhook_secret) ? newWebhookSecret() : null;
      const updated: ProjectRecord = {
        ...project,
        name: patch.name?.trim() ?? project.name,
        external_ref: patch.external_ref !== undefined ? patch.external_ref : project.external_ref,
        limits: patch.limits ? { ...project.limits, ...patch.limits } : project.limits,
        webhook_url: webhookUrl,
        webhook_secret: issued ?? current,
        updated_at: ctx.iso(),
      };
      await ctx.store.updateProject(updated);
      return { project: { ...publicProject(updated), ...(issued ? { webhook_secret: issued } : {}) } };
    },

    async usage({ project }: ProjectAccess<'project.read'>, query: { from?: string; to?: string }) {
      const to = query.to ?? ctx.iso().slice(0, 10);
      const from = query.from ?? new Date(Date.parse(`${to}T00:00:00Z`) - 29 * 86_400_000).toISOString().slice(0, 10);
      for (const d of [from, to]) {
        // a day of the calendar: Date.parse takes 2026-02-31 and rolls it over to March
        const real =
          DAY.test(d) && !Number.isNaN(Date.parse(d)) && new Date(`${d}T00:00:00Z`).toISOString().startsWith(d);
        if (!real) throw new Invalid('from and to must be days (YYYY-MM-DD)');
      }
      if (from > to) throw new Invalid('from must not be after to');
      return { usage: await ctx.store.forProject(project.id).listUsage(from, to) };
    },

    /**
     * Deletes every trace of a project: its index, its blobs, the files that landed for it
     * outside the API (drop folder, upload landing copies), its records and its keys. The index
     * and files go first, so that a crash part-way leaves a project that can be deleted again
     * rather than records pointing at nothing. `blobs` counts the landed files too.
     */
    async deleteProject({ project }: ProjectAccess<'project.write'>) {
      // AWS: the purge is the worker's; the project is 404 from now on
      if (ctx.settings.workerOwnsIndexWrites) return queueProjectPurge(ctx, project);
      const chunks = await indexOf(ctx, project).drop();
      const landed = (await ctx.blobs.purgeLanded?.(project.id)) ?? 0;
      const blobs = (await ctx.blobs.forProject(project.id).deleteAll()) + landed;
      const { documents, keys } = await ctx.store.forProject(project.id).purge();
      return { deleted: { project_id: project.id, documents, chunks, keys, blobs } };
    },
  };
}
