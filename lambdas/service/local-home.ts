import { isId } from '../core/ids';
import { type Deps, useCases } from '.';
import { makeContext } from './context';

/**
 * The local home's use cases: all of `makeServices`, and the system paths only a home whose
 * queue and drop folder live in its own process needs. They take no key; the local server calls
 * them at its start and the drop watcher on every scan. The Lambda bundles leave them out.
 */
export function makeLocalServices(deps: Deps) {
  const ctx = makeContext(deps);
  const services = useCases(ctx);
  return {
    ...services,
    keys: {
      ...services.keys,
      /** The first start: a demo company and its admin key while the store holds no company; null after. */
      async createFirstCompany(name: string) {
        if ((await ctx.store.listCompanies()).length > 0) return null;
        return services.keys.createCompany(name);
      },
    },
    documents: {
      ...services.documents,
      /** The drop folder: whether a folder named `projectId` belongs to a project. */
      async acceptsDrops(projectId: string): Promise<boolean> {
        return isId('project', projectId) && (await ctx.store.getProject(projectId)) !== null;
      },
      /**
       * The drop folder at start: the external ids of the documents that came in through the
       * project's drop folder, so files removed while the server was down are noticed.
       */
      async droppedExternalIds(projectId: string): Promise<string[]> {
        const prefix = `drop/${projectId}/`;
        const ids: string[] = [];
        const records = ctx.store.forProject(projectId);
        let after: string | null = null;
        do {
          const page = await records.listDocuments({ limit: 200, after });
          for (const d of page.items) if (d.external_id?.startsWith(prefix)) ids.push(d.external_id);
          after = page.next_cursor;
        } while (after);
        return ids;
      },
      /**
       * Crash recovery: re-queues the documents left queued or processing, and the golden runs and
       * exports left running, in every project. A run goes on from its first question without a
       * result; an export is written again.
       */
      async recoverUnfinished() {
        let requeued = 0;
        for (const company of await ctx.store.listCompanies()) {
          let after: string | null = null;
          do {
            const page = await ctx.store.listProjects(company.id, { limit: 200, after });
            for (const p of page.items) {
              const records = ctx.store.forProject(p.id);
              const unfinished = await records.listUnfinishedDocuments();
              for (const d of unfinished) await ctx.queue.enqueue(p.id, d.id);
              requeued += unfinished.length;
              for (const run of await records.listGoldenRuns()) {
                if (run.status !== 'running') continue;
                await ctx.jobs?.enqueueJob({ type: 'golden_run', project_id: p.id, run_id: run.id });
                requeued++;
              }
              for (const e of await records.listExports()) {
                if (e.status !== 'running') continue;
                await ctx.jobs?.enqueueJob({ type: 'export', project_id: p.id, export_id: e.id });
                requeued++;
              }
            }
            after = page.next_cursor;
          } while (after);
        }
        return requeued;
      },
    },
  };
}

export type LocalServices = ReturnType<typeof makeLocalServices>;
