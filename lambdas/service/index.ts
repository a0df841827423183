import { makeAnswerServices } from './answers';
import { makeAuditServices } from './audit';
import { type Deps, makeContext } from './context';
import { makeDocumentServices } from './documents';
import { makeExportServices } from './export';
import { makeGoldenServices } from './golden';
import { makeIngest } from './ingest';
import { authenticate, makeKeyServices } from './keys';
import { makeProjectServices } from './projects';
import { makeUploadServices } from './uploads';
import { makeWebhooks } from './webhooks';

/** Every use case, bound to the ports of one home. */
export function makeServices(deps: Deps) {
  const ctx = makeContext(deps);
  const webhooks = makeWebhooks(ctx);
  const ingest = makeIngest(ctx, webhooks);
  const documents = { ...makeDocumentServices(ctx, ingest), ...makeUploadServices(ctx, ingest) };
  const answers = makeAnswerServices(ctx);
  return {
    ctx,
    authenticate: (token: string | null) => authenticate(ctx, token),
    keys: makeKeyServices(ctx),
    projects: makeProjectServices(ctx),
    documents,
    answers,
    golden: makeGoldenServices(ctx, answers.answer),
    exports: makeExportServices(ctx, documents.extractedText),
    audit: makeAuditServices(ctx),
    webhooks,
  };
}

export type Services = ReturnType<typeof makeServices>;
export type { Deps, Principal } from './context';
