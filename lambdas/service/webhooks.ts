import { randomBytes } from 'node:crypto';
import { newId } from '../core/ids';
import type { AuditEvent, DocumentRecord, ProjectRecord } from '../core/model';
import { signWebhook } from '../core/webhook-signature';
import type { Context } from './context';
import { publicDocument } from './document-view';

export type WebhookEventType = 'document.ready' | 'document.failed';

/** A new signing secret: shown to the vendor once, kept on the project. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}

type Attempt = { status: number } | { error: string; final: boolean };

/** Why an attempt threw, in words that carry neither the URL nor anything of the tenant's. */
function describeError(e: unknown): { error: string; final: boolean } {
  const err = e as { name?: string; message?: string; cause?: { code?: string } };
  if (err?.name === 'WebhookRefused') return { error: `refused: ${err.message}`, final: true };
  if (err?.name === 'TimeoutError' || err?.name === 'AbortError') return { error: 'timeout', final: false };
  const code = err?.cause?.code;
  return { error: code ? `network error: ${code}` : 'network error', final: false };
}

/** 2xx delivered; 429 and 5xx worth another try; any other answer (3xx, 4xx) final. */
const retryable = (status: number) => status === 429 || status >= 500;

/**
 * Signed webhooks for documents that became `ready` or `failed`. Delivery runs beside the work
 * that caused it and never fails or delays it: `documentFinished` schedules and returns at once.
 * Each delivery ends in one audit event of the project (`webhook.delivery`), success or failed.
 */
export function makeWebhooks(ctx: Context) {
  const pending = new Set<Promise<void>>();
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  async function attempt(url: string, secret: string, eventId: string, body: string): Promise<Attempt> {
    const timestamp = Math.floor(ctx.now().getTime() / 1000);
    const headers = {
      'content-type': 'application/json',
      'user-agent': 'Oprag-Webhooks/1',
      'x-oprag-event-id': eventId,
      'x-oprag-timestamp': String(timestamp),
      'x-oprag-signature': signWebhook(secret, timestamp, body),
    };
    try {
      return await (ctx.webhookSender as NonNullable<Context['webhookSender']>).send(url, body, headers);
    } catch (e) {
      return describeError(e);
    }
  }

  async function deliver(projectId: string, doc: DocumentRecord, known?: ProjectRecord): Promise<void> {
    const project = known ?? (await ctx.store.getProject(projectId));
    if (!project?.webhook_url || !project.webhook_secret) return;
    const eventId = newId('event');
    const type: WebhookEventType = doc.status === 'ready' ? 'document.ready' : 'document.failed';
    const body = JSON.stringify({
      id: eventId,
      type,
      created_at: ctx.iso(),
      project_id: projectId,
      document: publicDocument(doc),
    });
    const delays = ctx.settings.webhookRetryDelaysMs;
    let attempts = 0;
    let last: Attempt = { error: 'not attempted', final: true };
    for (;;) {
      attempts++;
      last = await attempt(project.webhook_url, project.webhook_secret, eventId, body);
      const again = 'status' in last ? retryable(last.status) : !last.final;
      if (!again || attempts > delays.length) break;
      await sleep(delays[attempts - 1]);
    }
    const delivered = 'status' in last && last.status >= 200 && last.status < 300;
    // a project deleted meanwhile keeps no audit: its records are gone for good
    if (!(await ctx.store.getProject(projectId))) return;
    const event: AuditEvent = {
      // the record's own key, sorting by time (stores list audit events by it); the request's id is request_id
      id: newId('request'),
      at: ctx.iso(),
      actor: { type: 'system', key_id: null },
      action: 'webhook.delivery',
      resource: `/v1/projects/${projectId}/documents/${doc.id}`,
      outcome: delivered ? 'success' : 'failed',
      request_id: eventId,
      detail: {
        event_id: eventId,
        type,
        attempts,
        ...('status' in last ? { status: last.status } : { error: last.error }),
      },
    };
    await ctx.store.forProject(projectId).appendAudit(event);
  }

  return {
    /**
     * Schedules the document's webhook, if its project has one, and returns at once; `project`,
     * where the caller has just read it, spares reading it again.
     */
    documentFinished(projectId: string, doc: DocumentRecord, project?: ProjectRecord): void {
      if (!ctx.webhookSender || (doc.status !== 'ready' && doc.status !== 'failed')) return;
      const delivery: Promise<void> = deliver(projectId, doc, project)
        .catch((e) => ctx.logger.error('webhook delivery could not complete', { error: (e as Error).message }))
        .finally(() => pending.delete(delivery));
      pending.add(delivery);
    },

    /** Resolves once no delivery is pending, or after `timeoutMs` if given (shutdown, Lambda). */
    async idle(timeoutMs?: number): Promise<void> {
      const drained = (async () => {
        while (pending.size > 0) await Promise.allSettled([...pending]);
      })();
      if (timeoutMs === undefined) return drained;
      let timer: NodeJS.Timeout | undefined;
      const expired = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, Math.max(0, timeoutMs));
      });
      await Promise.race([drained, expired]);
      clearTimeout(timer);
    },

    /** How many deliveries are still running. */
    pending: () => pending.size,
  };
}

export type Webhooks = ReturnType<typeof makeWebhooks>;
