import { newId } from '../core/ids';
import { hashKey, keyKind } from '../core/keys';
import type { AuditEvent } from '../core/model';
import type { Page, PageRequest } from '../ports';
import { type CompanyAccess, ownedProject, type ProjectAccess } from './access';
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

export interface AuditQuery {
  limit?: number;
  cursor?: string;
  action?: string;
  key_id?: string;
  outcome?: AuditEvent['outcome'];
  /** ISO times: events at or after `from`, and before `to` */
  from?: string;
  to?: string;
}

/** Events read per store page while filtering, and read at most for one answer. */
const SCAN_PAGE = 200;
const SCAN_LIMIT = 5000;

function matches(e: AuditEvent, q: AuditQuery): boolean {
  return (
    (!q.action || e.action === q.action) &&
    (!q.key_id || e.actor.key_id === q.key_id) &&
    (!q.outcome || e.outcome === q.outcome) &&
    (!q.from || e.at >= q.from) &&
    (!q.to || e.at < q.to)
  );
}

/**
 * One page of audit events that match the query's filters, read through the store's newest-first
 * pages. The cursor is the last event looked at, so a filter that matches rarely answers a short
 * page with a cursor rather than reading the whole log in one request.
 */
async function filteredPage(
  read: (page: PageRequest) => Promise<Page<AuditEvent>>,
  query: AuditQuery,
): Promise<{ events: Omit<AuditEvent, 'id'>[]; next_cursor: string | null }> {
  const limit = query.limit ?? 50;
  const filtered = Boolean(query.action || query.key_id || query.outcome || query.from || query.to);
  const found: AuditEvent[] = [];
  let after = decodeCursor(query.cursor);
  let scanned = 0;
  let more = true;
  while (more && found.length < limit && scanned < SCAN_LIMIT) {
    const page = await read({ limit: filtered ? SCAN_PAGE : limit, after });
    for (const e of page.items) {
      scanned++;
      after = e.id;
      if (!matches(e, query)) continue;
      found.push(e);
      if (found.length === limit) break;
    }
    // events older than `from` end the search: the log is newest first
    more = page.next_cursor !== null && !(query.from && page.items.some((e) => e.at < (query.from as string)));
    if (found.length === limit) more = more || after !== page.items[page.items.length - 1]?.id;
  }
  return {
    events: found.map(({ id: _id, ...e }) => e),
    next_cursor: more && after ? encodeCursor(after) : null,
  };
}

/** What a failed authentication records besides the key: the route it reached for. */
export interface FailedAuthentication {
  action: string;
  resource: string;
  requestId: string;
}

/** The display prefix a presented token claims (`oprag_ak_` or `oprag_pk_` and three characters), or null. */
function claimedPrefix(token: string | null): string | null {
  const prefix = token?.slice(0, 12) ?? '';
  return /^oprag_(ak|pk)_[0-9A-Za-z]{3}$/.test(prefix) ? prefix : null;
}

/**
 * How many failed authentications each company's audit takes per minute: a fixed window per
 * company, so a flood of bad keys writes at most `perMinute` events a minute and a count of the
 * rest, never one event per request.
 */
function failedAuthLimiter(perMinute: number) {
  const windows = new Map<string, { minute: number; written: number; dropped: number }>();
  return {
    /** null: drop this one; otherwise how many were dropped since the last one written */
    take(companyId: string, now: Date): number | null {
      const minute = Math.floor(now.getTime() / 60_000);
      const w = windows.get(companyId);
      if (!w || w.minute !== minute) {
        // windows of past minutes are only worth their dropped count, carried by the next write
        if (windows.size >= 10_000) windows.clear();
        windows.set(companyId, { minute, written: 1, dropped: 0 });
        return w?.dropped ?? 0;
      }
      if (w.written >= perMinute) {
        w.dropped++;
        return null;
      }
      w.written++;
      const dropped = w.dropped;
      w.dropped = 0;
      return dropped;
    },
  };
}

export function makeAuditServices(ctx: Context) {
  const limiter = failedAuthLimiter(ctx.settings.failedAuthAuditPerMinute);
  return {
    /**
     * Records a failed authentication in the audit of the company its key prefix names: the
     * company of a revoked or expired key, or the one company owning a key with the presented
     * prefix. A token whose prefix names no company, or several, is not recorded anywhere, and a
     * flood is cut to `failedAuthAuditPerMinute` events a minute per company. Never throws on a
     * write: the caller answers 401 whatever happens here.
     */
    async recordFailedAuthentication(token: string | null, call: FailedAuthentication) {
      const prefix = claimedPrefix(token);
      if (!token || !prefix) return;
      const known = keyKind(token) ? await ctx.store.findKeyByHash(hashKey(token)) : null;
      let companyId = known?.company_id ?? null;
      if (!companyId) {
        const owners = await ctx.store.companiesByKeyPrefix(prefix);
        if (owners.length !== 1) return;
        companyId = owners[0];
      }
      const dropped = limiter.take(companyId, ctx.now());
      if (dropped === null) return;
      const now = ctx.iso();
      const reason = !known
        ? 'unknown_key'
        : known.revoked_at
          ? 'revoked'
          : known.expires_at && Date.parse(known.expires_at) <= Date.parse(now)
            ? 'expired'
            : 'invalid';
      await ctx.store.appendCompanyAudit(companyId, {
        id: newId('request'),
        at: now,
        actor: { type: prefix.startsWith('oprag_ak_') ? 'company_key' : 'project_key', key_id: known?.id ?? null },
        action: 'auth.failed',
        resource: call.resource,
        outcome: 'denied',
        request_id: call.requestId,
        detail: { key_prefix: prefix, reason, route: call.action, ...(dropped ? { unrecorded_before: dropped } : {}) },
      });
    },

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
        // in the same group commit (sqlite-connection.ts), not one after the other: the answer
        // waits for both, and each turn of the event loop a reply waits for adds to its latency
        await Promise.all([
          ctx.store.forProject(project.id).appendAudit(event),
          addUsage(ctx, project.id, { requests: 1 }),
        ]);
      } else {
        await ctx.store.appendCompanyAudit(principal.companyId, event);
      }
    },

    /** Drops audit events past the retention period; returns how many went. A system call: no key. */
    async prune() {
      const before = new Date(ctx.now().getTime() - ctx.settings.auditRetentionDays * 86_400_000).toISOString();
      return ctx.store.pruneAudit(before);
    },

    /** The project's audit events, newest first, narrowed by the query's filters. */
    async list({ project }: ProjectAccess<'audit.read'>, query: AuditQuery) {
      const records = ctx.store.forProject(project.id);
      return filteredPage((page) => records.listAudit(page), query);
    },

    /** The company's own events: its keys, its projects created and deleted, denied reaches. */
    async listCompany({ companyId }: CompanyAccess, query: AuditQuery) {
      return filteredPage((page) => ctx.store.listCompanyAudit(companyId, page), query);
    },
  };
}
