import { createHash } from 'node:crypto';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type {
  AuditEvent,
  DocumentRecord,
  DocumentStatus,
  ExportRecord,
  GoldenQuestion,
  GoldenResult,
  GoldenRunRecord,
  UsageCounters,
  UsageDay,
} from '../../core/model';
import type { DocumentListRequest, DocumentPatch, PageRequest, ProjectRecords, PurgeCounts } from '../../ports';
import { addUsage, type CounterPartition, countInWindow, listUsage } from './dynamo-project-counters';
import { purgeProjectPartition } from './dynamo-project-purge';
import {
  type Condition,
  deleteItem,
  epochSeconds,
  GSI1,
  getItem,
  type Item,
  type ItemRange,
  isConditionFailed,
  putItem,
  queryAll,
  queryPage,
  record,
  updateItemIf,
} from './dynamo-table';

const extKey = (externalId: string) => `EXTID#${createHash('sha256').update(externalId).digest('hex')}`;

/**
 * The records of one project, all in its partition `PROJECT#<pid>`: the partition key is fixed
 * at construction and every call addresses items by it, so a call through project B cannot read,
 * change or delete an item of project A, whatever ids it is given.
 *
 *   document            DOC#<did>                gsi1: PROJECT#<pid>#STATUS#<status> / DOC#<did>
 *   external id pointer EXTID#<sha256(ext id)>   doc_id, external_id (unique per project)
 *   golden question     GQ#<id>
 *   golden run          RUN#<id>                 status and counts, the question ids
 *   golden result       RESULT#<run id>#<index>  one answer of a run (index zero-padded), written once
 *   export              EXPORT#<id>
 *   audit event         AUDIT#<id>               ttl: at + auditTtlDays
 *   usage day           USAGE#<yyyy-mm-dd>       counters, each kept by UpdateItem ADD
 *   window counter      WINDOW#<name>#<window>   count by ADD; ttl a few minutes on
 */
export class DynamoProjectRecords implements ProjectRecords {
  private readonly doc: DynamoDBDocumentClient;
  private readonly table: string;
  private readonly auditTtlDays: number;
  private readonly pk: string;
  /** usage days and window counters (dynamo-project-counters.ts) */
  private readonly counters: CounterPartition;

  constructor(deps: { doc: DynamoDBDocumentClient; table: string; auditTtlDays: number }, projectId: string) {
    this.doc = deps.doc;
    this.table = deps.table;
    this.auditTtlDays = deps.auditTtlDays;
    this.pk = `PROJECT#${projectId}`;
    this.counters = { doc: this.doc, table: this.table, pk: this.pk };
  }

  private statusKey(status: DocumentStatus) {
    return `${this.pk}#STATUS#${status}`;
  }

  private range(prefix: string): ItemRange {
    return { table: this.table, partition: this.pk, prefix };
  }

  private get(sk: string) {
    return getItem(this.doc, this.table, this.pk, sk);
  }

  private remove(sk: string, condition?: Condition) {
    return deleteItem(this.doc, this.table, { pk: this.pk, sk }, condition);
  }

  async putDocument(doc: DocumentRecord) {
    if (doc.external_id != null) await this.claimExternalId(doc.external_id, doc.id);
    const sk = `DOC#${doc.id}`;
    const old = await putItem(this.doc, this.table, {
      ...doc,
      pk: this.pk,
      sk,
      gsi1pk: this.statusKey(doc.status),
      gsi1sk: sk,
    });
    const before = old?.external_id;
    if (typeof before === 'string' && before !== doc.external_id) await this.releaseExternalId(before, doc.id);
  }

  /**
   * Points the external id at the document, unless another live document holds it (the same
   * uniqueness the SQLite home's index gives). A pointer whose document is gone or renamed is stale
   * and taken over; the pointer is written before the document, and checked on every lookup.
   */
  private async claimExternalId(externalId: string, docId: string) {
    const item = { pk: this.pk, sk: extKey(externalId), doc_id: docId, external_id: externalId };
    const putIf = (expression: string, values: Item) => putItem(this.doc, this.table, item, { expression, values });
    const claimIfFree = () => putIf('attribute_not_exists(pk) OR doc_id = :id', { ':id': docId });
    try {
      await claimIfFree();
      return;
    } catch (e) {
      if (!isConditionFailed(e)) throw e;
    }
    const holderId = (await this.get(item.sk))?.doc_id;
    if (typeof holderId !== 'string') return void (await claimIfFree()); // released meanwhile
    const holder = await this.getDocument(holderId);
    // a plain (500) error on purpose: the worker retries the message, and the retry finds the
    // holder by its external id and replaces it, as a re-drop should
    if (holder?.external_id === externalId) throw new Error(`external id ${externalId} belongs to another document`);
    await putIf('doc_id = :stale', { ':stale': holderId });
  }

  private async releaseExternalId(externalId: string, docId: string) {
    await this.remove(extKey(externalId), { expression: 'doc_id = :id', values: { ':id': docId } });
  }

  async getDocument(id: string) {
    return record<DocumentRecord>(await this.get(`DOC#${id}`));
  }

  async findDocumentByExternalId(externalId: string) {
    const pointer = await this.get(extKey(externalId));
    if (typeof pointer?.doc_id !== 'string') return null;
    const doc = await this.getDocument(pointer.doc_id);
    return doc?.external_id === externalId ? doc : null;
  }

  async listDocuments(req: DocumentListRequest) {
    const range: ItemRange = req.status
      ? { table: this.table, index: GSI1, partition: this.statusKey(req.status), prefix: 'DOC#' }
      : this.range('DOC#');
    return queryPage<DocumentRecord>(this.doc, range, req);
  }

  async listUnfinishedDocuments() {
    const unfinished: DocumentStatus[] = ['queued', 'processing'];
    const found = await Promise.all(
      unfinished.map((status) =>
        queryAll(this.doc, {
          table: this.table,
          index: GSI1,
          partition: `${this.pk}#STATUS#${status}`,
          prefix: 'DOC#',
        }),
      ),
    );
    return found
      .flat()
      .map((i) => record<DocumentRecord>(i) as DocumentRecord)
      .sort((a, b) => (a.id < b.id ? -1 : 1));
  }

  async deleteDocument(id: string) {
    const old = await this.remove(`DOC#${id}`);
    if (typeof old?.external_id === 'string') await this.releaseExternalId(old.external_id, id);
    return old !== null;
  }

  /** One conditional write a patch (dynalite has no transactions; each document settles on its own anyway). */
  async patchDocuments(patches: DocumentPatch[]) {
    return Promise.all(
      patches.map(async ({ id, content_hash, patch }) => {
        const fields = { ...patch, id, ...(patch.status ? { gsi1pk: this.statusKey(patch.status) } : {}) };
        const condition = { expression: 'content_hash = :hash', values: { ':hash': content_hash } };
        const key = { pk: this.pk, sk: `DOC#${id}` };
        return record<DocumentRecord>(await updateItemIf(this.doc, this.table, key, fields, condition));
      }),
    );
  }

  /** A strongly consistent sum over the partition's documents (only their sizes are read back). */
  async documentTotals() {
    const items = await queryAll(this.doc, this.range('DOC#'), { projection: ['bytes'] });
    return { documents: items.length, bytes: items.reduce((sum, i) => sum + Number(i.bytes ?? 0), 0) };
  }

  async putGoldenQuestion(q: GoldenQuestion) {
    await putItem(this.doc, this.table, { ...q, pk: this.pk, sk: `GQ#${q.id}` });
  }
  async getGoldenQuestion(id: string) {
    return record<GoldenQuestion>(await this.get(`GQ#${id}`));
  }
  async listGoldenQuestions() {
    const items = await queryAll(this.doc, this.range('GQ#'), { newestFirst: true });
    return items.map((i) => record<GoldenQuestion>(i) as GoldenQuestion);
  }
  async deleteGoldenQuestion(id: string) {
    return (await this.remove(`GQ#${id}`)) !== null;
  }
  async putGoldenRun(run: GoldenRunRecord) {
    await putItem(this.doc, this.table, { ...run, pk: this.pk, sk: `RUN#${run.id}` });
  }
  async getGoldenRun(id: string) {
    return record<GoldenRunRecord>(await this.get(`RUN#${id}`));
  }
  async listGoldenRuns() {
    const items = await queryAll(this.doc, this.range('RUN#'), { newestFirst: true });
    return items.map((i) => record<GoldenRunRecord>(i) as GoldenRunRecord);
  }
  async putGoldenResult(runId: string, index: number, result: GoldenResult) {
    const item = { ...result, pk: this.pk, sk: `RESULT#${runId}#${String(index).padStart(6, '0')}` };
    try {
      await putItem(this.doc, this.table, item, { expression: 'attribute_not_exists(pk)' });
      return true;
    } catch (e) {
      if (isConditionFailed(e)) return false;
      throw e;
    }
  }
  async listGoldenResults(runId: string) {
    const items = await queryAll(this.doc, this.range(`RESULT#${runId}#`));
    return items.map((i) => record<GoldenResult>(i) as GoldenResult);
  }

  async putExport(e: ExportRecord) {
    await putItem(this.doc, this.table, { ...e, pk: this.pk, sk: `EXPORT#${e.id}` });
  }
  async getExport(id: string) {
    return record<ExportRecord>(await this.get(`EXPORT#${id}`));
  }
  async listExports() {
    const items = await queryAll(this.doc, this.range('EXPORT#'), { newestFirst: true });
    return items.map((i) => record<ExportRecord>(i) as ExportRecord);
  }
  async claimExportDownload(id: string, tokenHash: string, at: string) {
    const current = await this.getExport(id);
    if (current?.status !== 'ready' || current.token_hash !== tokenHash) return null;
    const condition = { expression: 'token_hash = :hash', values: { ':hash': tokenHash } };
    const key = { pk: this.pk, sk: `EXPORT#${id}` };
    const fields = { token_hash: null, token_expires_at: null, downloaded_at: at };
    return (await updateItemIf(this.doc, this.table, key, fields, condition)) ? current : null;
  }

  async appendAudit(event: AuditEvent) {
    const ttl = epochSeconds(Date.parse(event.at)) + this.auditTtlDays * 86_400 || undefined;
    await putItem(this.doc, this.table, { ...event, pk: this.pk, sk: `AUDIT#${event.id}`, ttl });
  }
  async listAudit(page: PageRequest) {
    return queryPage<AuditEvent>(this.doc, this.range('AUDIT#'), page);
  }

  addUsage(day: string, delta: Partial<UsageCounters>) {
    return addUsage(this.counters, day, delta);
  }
  listUsage(fromDay: string, toDay: string): Promise<UsageDay[]> {
    return listUsage(this.counters, fromDay, toDay);
  }
  countInWindow(name: string, window: string, by = 1) {
    return countInWindow(this.counters, name, window, by);
  }

  purge(): Promise<PurgeCounts> {
    return purgeProjectPartition(this.doc, this.table, this.pk);
  }
}
