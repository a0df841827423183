import type Database from 'better-sqlite3';
import type {
  AuditEvent,
  DocumentRecord,
  ExportRecord,
  GoldenQuestion,
  GoldenResult,
  GoldenRunRecord,
  UsageCounters,
  UsageDay,
} from '../../core/model';
import { USAGE_COUNTERS } from '../../core/model';
import type { DocumentListRequest, DocumentPatch, PageRequest, ProjectRecords, PurgeCounts } from '../../ports';
import { type Connection, page, parse, parseAll, type Row } from './sqlite-connection';

const COUNTERS = USAGE_COUNTERS;

/** The tables that hold a project's records as JSON by id (names fixed here, never from input). */
type JsonTable = 'golden_questions' | 'golden_runs' | 'exports';

/** The records of one project; every statement is bound to its id. */
export class SqliteProjectRecords implements ProjectRecords {
  private readonly db: Database.Database;
  private readonly sql: (text: string) => Database.Statement;
  private readonly defer: Connection['defer'];
  private readonly now: () => void;
  private readonly rows: Connection['rows'];

  constructor(
    connection: Connection,
    private readonly projectId: string,
  ) {
    this.db = connection.db;
    this.rows = connection.rows;
    this.sql = (text) => connection.get(text);
    this.defer = (write) => connection.defer(write);
    this.now = () => connection.flush();
  }

  /** A record kept whole as JSON in one of the project's own tables, by its id. */
  private putRecord(table: JsonTable, id: string, record: unknown) {
    this.sql(
      `INSERT INTO ${table} (id, project_id, data) VALUES (?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET data = excluded.data WHERE ${table}.project_id = excluded.project_id`,
    ).run(id, this.projectId, JSON.stringify(record));
  }
  private getRecord<T>(table: JsonTable, id: string) {
    return parse<T>(
      this.sql(`SELECT data FROM ${table} WHERE id = ? AND project_id = ?`).get(id, this.projectId) as Row,
    );
  }
  /** Newest first: ids sort by time. */
  private listRecords<T>(table: JsonTable) {
    return parseAll<T>(
      this.sql(`SELECT data FROM ${table} WHERE project_id = ? ORDER BY id DESC`).all(this.projectId) as Row[],
    );
  }

  async putDocument(d: DocumentRecord) {
    const data = JSON.stringify(d); // as it is now, whatever the caller does with it next
    const { id, external_id, status, bytes } = d;
    await this.defer(() => this.write({ id, external_id, status, bytes }, data));
  }
  async putDocuments(docs: DocumentRecord[]) {
    const rows = docs.map((d) => ({ d, data: JSON.stringify(d) }));
    await this.defer(
      this.db.transaction(() => {
        for (const { d, data } of rows) this.write(d, data);
      }),
    );
  }
  private write(d: Pick<DocumentRecord, 'id' | 'external_id' | 'status' | 'bytes'>, data = JSON.stringify(d)) {
    this.sql(
      `INSERT INTO documents (id, project_id, external_id, status, bytes, data) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET external_id = excluded.external_id, status = excluded.status,
           bytes = excluded.bytes, data = excluded.data WHERE documents.project_id = excluded.project_id`,
    ).run(d.id, this.projectId, d.external_id, d.status, d.bytes, data);
  }
  async getDocument(id: string) {
    const sql = 'SELECT data FROM documents WHERE id = ? AND project_id = ?';
    return parse<DocumentRecord>(this.sql(sql).get(id, this.projectId) as Row);
  }
  async getDocuments(ids: string[]) {
    // one statement for the lot: the ids go in as one JSON array, bound like any other value
    const sql = 'SELECT id, data FROM documents WHERE project_id = ? AND id IN (SELECT value FROM json_each(?))';
    const rows = this.sql(sql).all(this.projectId, JSON.stringify(ids)) as (Row & { id: string })[];
    const byId = new Map(rows.map((r) => [r.id, r]));
    return ids.map((id) => parse<DocumentRecord>(byId.get(id)));
  }
  async findDocumentByExternalId(externalId: string) {
    const sql = 'SELECT data FROM documents WHERE project_id = ? AND external_id = ?';
    return parse<DocumentRecord>(this.sql(sql).get(this.projectId, externalId) as Row);
  }
  async findDocumentsByExternalIds(externalIds: string[]) {
    const sql = `SELECT external_id, data FROM documents
      WHERE project_id = ? AND external_id IN (SELECT value FROM json_each(?))`;
    const rows = this.sql(sql).all(this.projectId, JSON.stringify(externalIds)) as (Row & { external_id: string })[];
    const byExternalId = new Map(rows.map((r) => [r.external_id, r]));
    return externalIds.map((id) => parse<DocumentRecord>(byExternalId.get(id)));
  }
  async listDocuments(req: DocumentListRequest) {
    const rows = this.sql(
      `SELECT data FROM documents WHERE project_id = ? AND (? IS NULL OR status = ?) AND (? IS NULL OR id < ?)
         ORDER BY id DESC LIMIT ?`,
    ).all(
      this.projectId,
      req.status ?? null,
      req.status ?? null,
      req.after ?? null,
      req.after ?? null,
      req.limit + 1,
    ) as Row[];
    return page<DocumentRecord>(rows, req.limit);
  }
  async listUnfinishedDocuments() {
    const sql = `SELECT data FROM documents WHERE project_id = ? AND status IN ('queued', 'processing') ORDER BY id`;
    return parseAll<DocumentRecord>(this.sql(sql).all(this.projectId) as Row[]);
  }
  async deleteDocument(id: string) {
    this.now();
    return this.sql('DELETE FROM documents WHERE id = ? AND project_id = ?').run(id, this.projectId).changes > 0;
  }
  async patchDocuments(patches: DocumentPatch[]) {
    const get = this.sql('SELECT data FROM documents WHERE id = ? AND project_id = ?');
    return this.defer(
      this.db.transaction(() =>
        patches.map(({ id, content_hash, patch }) => {
          const current = parse<DocumentRecord>(get.get(id, this.projectId) as Row);
          if (!current || current.content_hash !== content_hash) return null;
          const next = { ...current, ...patch, id: current.id };
          this.write(next);
          return next;
        }),
      ),
    );
  }
  async documentTotals() {
    const row = this.sql('SELECT documents, bytes FROM project_totals WHERE project_id = ?').get(this.projectId) as
      | { documents: number; bytes: number }
      | undefined;
    return row ?? { documents: 0, bytes: 0 };
  }

  async putGoldenQuestion(q: GoldenQuestion) {
    this.now();
    this.putRecord('golden_questions', q.id, q);
  }
  async getGoldenQuestion(id: string) {
    return this.getRecord<GoldenQuestion>('golden_questions', id);
  }
  async listGoldenQuestions() {
    return this.listRecords<GoldenQuestion>('golden_questions');
  }
  async deleteGoldenQuestion(id: string) {
    this.now();
    const sql = 'DELETE FROM golden_questions WHERE id = ? AND project_id = ?';
    return this.sql(sql).run(id, this.projectId).changes > 0;
  }
  async putGoldenRun(run: GoldenRunRecord) {
    this.now();
    this.putRecord('golden_runs', run.id, run);
  }
  async getGoldenRun(id: string) {
    return this.getRecord<GoldenRunRecord>('golden_runs', id);
  }
  async listGoldenRuns() {
    return this.listRecords<GoldenRunRecord>('golden_runs');
  }
  async putGoldenResult(runId: string, index: number, result: GoldenResult) {
    this.now();
    const sql = 'INSERT INTO golden_results (project_id, run_id, idx, data) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING';
    return this.sql(sql).run(this.projectId, runId, index, JSON.stringify(result)).changes > 0;
  }
  async listGoldenResults(runId: string) {
    const sql = 'SELECT data FROM golden_results WHERE project_id = ? AND run_id = ? ORDER BY idx';
    return parseAll<GoldenResult>(this.sql(sql).all(this.projectId, runId) as Row[]);
  }

  async putExport(e: ExportRecord) {
    this.now();
    this.putRecord('exports', e.id, e);
  }
  async getExport(id: string) {
    return this.getRecord<ExportRecord>('exports', id);
  }
  async listExports() {
    return this.listRecords<ExportRecord>('exports');
  }
  async claimExportDownload(id: string, tokenHash: string, at: string) {
    this.now();
    return this.db.transaction(() => {
      const current = parse<ExportRecord>(
        this.sql('SELECT data FROM exports WHERE id = ? AND project_id = ?').get(id, this.projectId) as Row,
      );
      if (current?.status !== 'ready' || !current.token_hash || current.token_hash !== tokenHash) return null;
      const next: ExportRecord = { ...current, token_hash: null, token_expires_at: null, downloaded_at: at };
      this.sql('UPDATE exports SET data = ? WHERE id = ? AND project_id = ?').run(
        JSON.stringify(next),
        id,
        this.projectId,
      );
      return current;
    })();
  }

  async appendAudit(e: AuditEvent) {
    const data = JSON.stringify(e);
    await this.defer(() =>
      this.sql('INSERT INTO audit_events (id, company_id, project_id, data) VALUES (?, NULL, ?, ?)').run(
        e.id,
        this.projectId,
        data,
      ),
    );
  }
  async listAudit(req: PageRequest) {
    const rows = this.sql(
      'SELECT data FROM audit_events WHERE project_id = ? AND (? IS NULL OR id < ?) ORDER BY id DESC LIMIT ?',
    ).all(this.projectId, req.after ?? null, req.after ?? null, req.limit + 1) as Row[];
    return page<AuditEvent>(rows, req.limit);
  }

  async addUsage(day: string, delta: Partial<UsageCounters>) {
    const values = COUNTERS.map((c) => Math.round(delta[c] ?? 0));
    await this.defer(() =>
      this.sql(
        `INSERT INTO usage_days (project_id, day, ${COUNTERS.join(', ')}) VALUES (?, ?, ${COUNTERS.map(() => '?').join(', ')})
         ON CONFLICT (project_id, day) DO UPDATE SET ${COUNTERS.map((c) => `${c} = ${c} + excluded.${c}`).join(', ')}`,
      ).run(this.projectId, day, ...values),
    );
  }
  async listUsage(fromDay: string, toDay: string) {
    return this.sql(
      `SELECT day, ${COUNTERS.join(', ')} FROM usage_days WHERE project_id = ? AND day >= ? AND day <= ? ORDER BY day DESC`,
    ).all(this.projectId, fromDay, toDay) as UsageDay[];
  }
  async countInWindow(name: string, window: string, by = 1) {
    return this.defer(() => this.count(name, window, by));
  }
  private count(name: string, window: string, by: number) {
    const row = this.sql(
      `INSERT INTO window_counters (project_id, name, win, count) VALUES (?, ?, ?, ?)
         ON CONFLICT (project_id, name, win) DO UPDATE SET count = count + excluded.count RETURNING count`,
    ).get(this.projectId, name, window, by) as { count: number };
    if (row.count === by) {
      // a new window has begun: the earlier ones are of no more use
      this.sql('DELETE FROM window_counters WHERE project_id = ? AND name = ? AND win < ?').run(
        this.projectId,
        name,
        window,
      );
    }
    return row.count;
  }

  async purge(): Promise<PurgeCounts> {
    this.now();
    const p = this.projectId;
    const counts = this.db.transaction(() => {
      const documents = this.sql('DELETE FROM documents WHERE project_id = ?').run(p).changes;
      const keys = this.sql('DELETE FROM api_keys WHERE project_id = ?').run(p).changes;
      for (const table of [
        'golden_questions',
        'golden_runs',
        'golden_results',
        'exports',
        'audit_events',
        'usage_days',
        'window_counters',
        'uploads',
        'project_totals',
      ]) {
        this.sql(`DELETE FROM ${table} WHERE project_id = ?`).run(p);
      }
      this.sql('DELETE FROM projects WHERE id = ?').run(p);
      return { documents, keys };
    })();
    // its project and keys are gone: nothing kept of them may answer again
    this.rows.clear();
    return counts;
  }
}
