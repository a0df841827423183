import { newId } from '../core/ids';
import type { AuditEvent } from '../core/model';
import { ownedProject, type ProjectAccess } from './access';
import type { Context, Principal } from './context';
import { decodeCursor, encodeCursor } from './cursor';
import { addUsage } from './limits';

export interface CallRecord {
  /** the project named by the path (or the key's own, for short forms) */
  projectId: string | null;
  action: string;
  resource: string;
  outcome: AuditEvent['outcome'];
  requestId: string;
  detail?: Record<string, unknown>;
}

export function makeAuditServices(ctx: Context) {
  return {
    /**
     * Writes the audit event of an authenticated call. It lands in the project's log only when
     * the project is the caller's own; a reach for someone else's project is logged on the
     * caller's company, never in the other tenant's log.
     */
    async record(principal: Principal, call: CallRecord) {
      const event: AuditEvent = {
        // the record's own key, sorting by time (stores list audit events by it); the request's id is request_id
        id: newId('request'),
        at: ctx.iso(),
        actor: { type: principal.kind === 'company' ? 'company_key' : 'project_key', key_id: principal.key.id },
        action: call.action,
        resource: call.resource,
        outcome: call.outcome,
        request_id: call.requestId,
        ...(call.detail ? { detail: call.detail } : {}),
      };
      const project = call.projectId ? await ownedProject(ctx.store, principal, call.projectId) : null;
      if (project) {
        await ctx.store.forProject(project.id).appendAudit(event);
        await addUsage(ctx, project.id, { requests: 1 });
      } else {
        await ctx.store.appendCompanyAudit(principal.companyId, event);
      }
    },

    /** Drops audit events past the retention period; returns how many went. A system call: no key. */
    async prune() {
      const before = new Date(ctx.now().getTime() - ctx.settings.auditRetentionDays * 86_400_000).toISOString();
      return ctx.store.pruneAudit(before);
    },

    async list({ project }: ProjectAccess<'audit.read'>, query: { limit?: number; cursor?: string }) {
      const page = await ctx.store
        .forProject(project.id)
        .listAudit({ limit: query.limit ?? 50, after: decodeCursor(query.cursor) });
      return {
        events: page.items.map(({ id: _id, ...e }) => e),
        next_cursor: encodeCursor(page.next_cursor),
      };
    },
  };
}
