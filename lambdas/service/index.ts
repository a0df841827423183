import type { BackgroundJob } from '../ports';
import { authorizeCompany, authorizeProject, type Permission } from './access';
import { makeAnswerServices } from './answers';
import { makeAuditServices } from './audit';
import { runCleanup, sweep } from './cleanup';
import { type Context, DEFAULT_SETTINGS, type Deps, makeContext, type Principal, type Settings } from './context';
import { extractedText, makeDocumentServices } from './documents';
import { makeExportServices } from './export';
import { makeGoldenServices } from './golden';
import { makeIngest } from './ingest';
import { authenticate, makeKeyServices } from './keys';
import { makeProjectServices } from './projects';
import { runRelabel } from './relabel';
import { makeUploadServices } from './uploads';
import { makeWebhooks } from './webhooks';

/**
 * Every use case, bound to the ports of one home; the ports themselves stay inside. A caller
 * with a key is authenticated, then authorized once into a `ProjectAccess` or `CompanyAccess`
 * that the use case takes; system callers (queue, drops, recovery) use the paths that take ids.
 */
export function makeServices(deps: Deps) {
  return useCases(makeContext(deps));
}

/** The use cases over one context (`makeServices`, and the local home's own on top of them). */
export function useCases(ctx: Context) {
  const webhooks = makeWebhooks(ctx);
  const ingest = makeIngest(ctx, webhooks);
  const { answer, retrieve, chat, chatStream } = makeAnswerServices(ctx);
  const golden = makeGoldenServices(ctx, answer);
  const exports = makeExportServices(ctx, extractedText(ctx));
  return {
    authenticate: (token: string | null) => authenticate(ctx, token),
    authorize: {
      project: <P extends Permission>(principal: Principal, projectId: string, permission: P) =>
        authorizeProject(ctx.store, principal, projectId, permission),
      company: authorizeCompany,
    },
    keys: makeKeyServices(ctx),
    projects: makeProjectServices(ctx),
    documents: { ...makeDocumentServices(ctx, ingest), ...makeUploadServices(ctx, ingest) },
    answers: { retrieve, chat, chatStream, now: () => ctx.now() },
    golden,
    exports,
    jobs: {
      /**
       * Runs one delivery of a background job; a golden run that reached its chat limit (or
       * `maxAnswers` answers in this delivery) answers with the seconds after which the job is to
       * come back.
       */
      async run(job: BackgroundJob, opts: { maxAnswers?: number } = {}): Promise<{ retryAfterSeconds: number } | null> {
        if (job.type === 'golden_run') return golden.advanceRun(job.project_id, job.run_id, opts.maxAnswers);
        if (job.type === 'cleanup') {
          await runCleanup(ctx, job.project_id, job.target);
          return null;
        }
        if (job.type === 'relabel') {
          await runRelabel(ctx, job.project_id, job.document_id);
          return null;
        }
        await exports.writeExport(job.project_id, job.export_id);
        return null;
      },
      /** Records that a job gave up, on the run or export it was for. */
      async fail(job: BackgroundJob, error: unknown) {
        if (job.type === 'golden_run') await golden.failRun(job.project_id, job.run_id, error);
        // a removal stays written down: the sweeper queues it again
        else if (job.type === 'cleanup') ctx.logger.error('removal failed; the sweeper retries it', { error });
        // the labels stay marked pending: the sweeper queues the relabel again
        else if (job.type === 'relabel') ctx.logger.error('relabel failed; the sweeper retries it', { error });
        else await exports.failExport(job.project_id, job.export_id, error);
      },
    },
    audit: makeAuditServices(ctx),
    /** System path, on a schedule: queues again stuck documents, unfinished removals and relabels. */
    maintenance: { sweep: () => sweep(ctx) },
    webhooks: { idle: webhooks.idle, pending: webhooks.pending },
  };
}

/** The settings a home runs with: the defaults, with what its composition root changes. */
export function resolveSettings(settings: Partial<Settings> = {}): Settings {
  return { ...DEFAULT_SETTINGS, ...settings };
}

export type Services = ReturnType<typeof makeServices>;
export type { Deps, Principal, Settings } from './context';
