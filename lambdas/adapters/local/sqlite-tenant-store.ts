import Database from 'better-sqlite3';
import type {
  ApiKeyRecord,
  AuditEvent,
  Company,
  DocumentRecord,
  GoldenQuestion,
  GoldenRun,
  ProjectRecord,
  UploadRecord,
  UsageCounters,
  UsageDay,
} from '../../core/model';
import { USAGE_COUNTERS } from '../../core/model';
import type {
  DocumentListRequest,
  DocumentPatch,
  Page,
  PageRequest,
  ProjectRecords,
  PurgeCounts,
  TenantStore,
} from '../../ports';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS companies (id TEXT PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS api_keys (
  id TEXT PRIMARY KEY, hash TEXT NOT NULL UNIQUE, company_id TEXT NOT NULL, project_id TEXT, data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS api_keys_company ON api_keys (company_id, id);
CREATE INDEX IF NOT EXISTS api_keys_project ON api_keys (project_id, id);
CREATE TABLE IF NOT EXISTS projects (id TEXT PRIMARY KEY, company_id TEXT NOT NULL, data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS projects_company ON projects (company_id, id);
CREATE TABLE IF NOT EXISTS documents (
  id TEXT PRIMARY KEY, project_id TEXT NOT NULL, external_id TEXT, status TEXT NOT NULL, bytes INTEGER NOT NULL,
  data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS documents_project ON documents (project_id, id);
CREATE INDEX IF NOT EXISTS documents_status ON documents (project_id, status, id);
CREATE UNIQUE INDEX IF NOT EXISTS documents_external ON documents (project_id, external_id) WHERE external_id IS NOT NULL;
-- running totals, kept by triggers, so quota checks and stats cost the same at any project size
CREATE TABLE IF NOT EXISTS project_totals (
  project_id TEXT PRIMARY KEY, documents INTEGER NOT NULL DEFAULT 0, bytes INTEGER NOT NULL DEFAULT 0);
CREATE TRIGGER IF NOT EXISTS documents_totals_insert AFTER INSERT ON documents BEGIN
  INSERT INTO project_totals (project_id, documents, bytes) VALUES (new.project_id, 1, new.bytes)
  ON CONFLICT (project_id) DO UPDATE SET documents = documents + 1, bytes = bytes + new.bytes;
END;
CREATE TRIGGER IF NOT EXISTS documents_totals_update AFTER UPDATE OF bytes ON documents BEGIN
  UPDATE project_totals SET bytes = bytes - old.bytes + new.bytes WHERE project_id = new.project_id;
END;
CREATE TRIGGER IF NOT EXISTS documents_totals_delete AFTER DELETE ON documents BEGIN
  UPDATE project_totals SET documents = documents - 1, bytes = bytes - old.bytes WHERE project_id = old.project_id;
END;
CREATE TABLE IF NOT EXISTS golden_questions (id TEXT PRIMARY KEY, project_id TEXT NOT NULL, data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS golden_questions_project ON golden_questions (project_id, id);
CREATE TABLE IF NOT EXISTS golden_runs (id TEXT PRIMARY KEY, project_id TEXT NOT NULL, data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS golden_runs_project ON golden_runs (project_id, id);
CREATE TABLE IF NOT EXISTS audit_events (
  id TEXT PRIMARY KEY, company_id TEXT, project_id TEXT, data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS audit_events_project ON audit_events (project_id, id);
CREATE TABLE IF NOT EXISTS usage_days (
  project_id TEXT NOT NULL, day TEXT NOT NULL, requests INTEGER NOT NULL DEFAULT 0, answers INTEGER NOT NULL DEFAULT 0,
  refusals INTEGER NOT NULL DEFAULT 0, documents INTEGER NOT NULL DEFAULT 0, bytes INTEGER NOT NULL DEFAULT 0,
  embedding_units INTEGER NOT NULL DEFAULT 0, generation_units INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (project_id, day));
CREATE TABLE IF NOT EXISTS window_counters (
  project_id TEXT NOT NULL, name TEXT NOT NULL, win TEXT NOT NULL, count INTEGER NOT NULL,
  PRIMARY KEY (project_id, name, win));
CREATE TABLE IF NOT EXISTS uploads (
  id TEXT PRIMARY KEY, token_hash TEXT NOT NULL UNIQUE, project_id TEXT NOT NULL, expires_at TEXT NOT NULL,
  used_at TEXT, data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS uploads_project ON uploads (project_id);
`;

const COUNTERS = USAGE_COUNTERS;

type Row = { data: string };
const parse = <T>(row: Row | undefined): T | null => (row ? (JSON.parse(row.data) as T) : null);
const parseAll = <T>(rows: Row[]): T[] => rows.map((r) => JSON.parse(r.data) as T);

function page<T extends { id: string }>(rows: Row[], limit: number): Page<T> {
  const items = parseAll<T>(rows.slice(0, limit));
  return { items, next_cursor: rows.length > limit ? items[items.length - 1].id : null };
}

type Deferred = { write: () => unknown; resolve: (v: unknown) => void; reject: (e: unknown) => void };

/**
 * The connection's prepared statements, compiled once and reused (preparing costs more than
 * running), and its group commit: the frequent small writes of concurrent calls (documents,
 * audit events, usage and rate counters) made in one turn of the event loop are committed
 * together at its end, one transaction instead of one each. Each write is one statement (which
 * SQLite undoes by itself when it fails) or a transaction of its own (nested: a savepoint), so
 * one that fails is undone alone and only its caller sees the error; a caller's promise resolves
 * only once its write is committed, so nothing is answered before it is durable.
 */
class Connection {
  private readonly cache = new Map<string, Database.Statement>();
  private pending: Deferred[] = [];

  constructor(readonly db: Database.Database) {}

  get(sql: string): Database.Statement {
    let s = this.cache.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.cache.set(sql, s);
    }
    return s;
  }

  /** Runs the write with the others of this turn; resolves to its result once committed. */
  defer<T>(write: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ write, resolve: resolve as (v: unknown) => void, reject });
      if (this.pending.length === 1) setImmediate(() => this.flush());
    });
  }

  /** Commits the writes waiting for the end of the turn; other writes call it first, to keep order. */
  flush(): void {
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 1) {
      const [w] = batch;
      let value: unknown;
      try {
        value = w.write();
      } catch (e) {
        w.reject(e);
        return;
      }
      w.resolve(value);
      return;
    }
    const outcomes: { ok: boolean; value: unknown }[] = [];
    try {
      this.db.transaction(() => {
        for (const w of batch) {
          try {
            outcomes.push({ ok: true, value: w.write() });
          } catch (e) {
            // a failed statement is undone by itself; an error that ended the transaction ends the batch
            if (!this.db.inTransaction) throw e;
            outcomes.push({ ok: false, value: e });
          }
        }
      })();
    } catch (e) {
      for (const w of batch) w.reject(e); // the commit itself failed: none of them happened
      return;
    }
    for (const [i, w] of batch.entries()) {
      if (outcomes[i].ok) w.resolve(outcomes[i].value);
      else w.reject(outcomes[i].value);
    }
  }
}

/** The control database of the embedded home: one SQLite file for every tenant record. */
export class SqliteTenantStore implements TenantStore {
  private readonly db: Database.Database;
  private readonly connection: Connection;
  private readonly sql = (text: string) => this.connection.get(text);
  /** writes outside the group commit go after the ones already waiting */
  private readonly now = () => this.connection.flush();

  constructor(file: string) {
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(SCHEMA);
    this.connection = new Connection(this.db);
    // a data directory from before the running totals: count once
    const totals = this.sql('SELECT count(*) AS n FROM project_totals').get() as { n: number };
    if (totals.n === 0) {
      this.db.exec(`INSERT INTO project_totals (project_id, documents, bytes)
        SELECT project_id, count(*), coalesce(sum(bytes), 0) FROM documents GROUP BY project_id`);
    }
  }

  close(): void {
    this.connection.flush();
    this.db.close();
  }

  async createCompany(c: Company) {
    this.now();
    this.sql('INSERT INTO companies (id, data) VALUES (?, ?)').run(c.id, JSON.stringify(c));
  }
  async getCompany(id: string) {
    return parse<Company>(this.sql('SELECT data FROM companies WHERE id = ?').get(id) as Row);
  }
  async listCompanies() {
    return parseAll<Company>(this.sql('SELECT data FROM companies ORDER BY id').all() as Row[]);
  }

  async putKey(k: ApiKeyRecord) {
    this.now();
    this.sql(
      `INSERT INTO api_keys (id, hash, company_id, project_id, data) VALUES (@id, @hash, @company_id, @project_id, @data)
         ON CONFLICT (id) DO UPDATE SET data = excluded.data`,
    ).run({ ...k, data: JSON.stringify(k) });
  }
  async getKey(id: string) {
    return parse<ApiKeyRecord>(this.sql('SELECT data FROM api_keys WHERE id = ?').get(id) as Row);
  }
  async findKeyByHash(hash: string) {
    return parse<ApiKeyRecord>(this.sql('SELECT data FROM api_keys WHERE hash = ?').get(hash) as Row);
  }
  async listCompanyKeys(companyId: string) {
    const sql = 'SELECT data FROM api_keys WHERE company_id = ? AND project_id IS NULL ORDER BY id DESC';
    return parseAll<ApiKeyRecord>(this.sql(sql).all(companyId) as Row[]);
  }
  async listProjectKeys(projectId: string) {
    const sql = 'SELECT data FROM api_keys WHERE project_id = ? ORDER BY id DESC';
    return parseAll<ApiKeyRecord>(this.sql(sql).all(projectId) as Row[]);
  }
  async touchKey(id: string, at: string) {
    await this.connection.defer(() =>
      this.sql(`UPDATE api_keys SET data = json_set(data, '$.last_used_at', ?) WHERE id = ?`).run(at, id),
    );
  }
  async revokeKey(id: string, at: string) {
    this.now();
    this.sql(
      `UPDATE api_keys SET data = json_set(data, '$.revoked_at', ?) WHERE id = ? AND json_extract(data, '$.revoked_at') IS NULL`,
    ).run(at, id);
    return this.getKey(id);
  }

  async createProject(p: ProjectRecord) {
    this.now();
    this.sql('INSERT INTO projects (id, company_id, data) VALUES (?, ?, ?)').run(p.id, p.company_id, JSON.stringify(p));
  }
  async getProject(id: string) {
    return parse<ProjectRecord>(this.sql('SELECT data FROM projects WHERE id = ?').get(id) as Row);
  }
  async listProjects(companyId: string, req: PageRequest) {
    const rows = this.sql(
      'SELECT data FROM projects WHERE company_id = ? AND (? IS NULL OR id < ?) ORDER BY id DESC LIMIT ?',
    ).all(companyId, req.after ?? null, req.after ?? null, req.limit + 1) as Row[];
    return page<ProjectRecord>(rows, req.limit);
  }
  async updateProject(p: ProjectRecord) {
    this.now();
    this.sql('UPDATE projects SET data = ? WHERE id = ?').run(JSON.stringify(p), p.id);
  }

  async appendCompanyAudit(companyId: string, e: AuditEvent) {
    const data = JSON.stringify(e);
    await this.connection.defer(() =>
      this.sql('INSERT INTO audit_events (id, company_id, project_id, data) VALUES (?, ?, NULL, ?)').run(
        e.id,
        companyId,
        data,
      ),
    );
  }

  async pruneAudit(before: string) {
    this.now();
    return this.sql(`DELETE FROM audit_events WHERE json_extract(data, '$.at') < ?`).run(before).changes;
  }

  async putUpload(u: UploadRecord) {
    this.now();
    this.sql(
      'INSERT INTO uploads (id, token_hash, project_id, expires_at, used_at, data) VALUES (?, ?, ?, ?, NULL, ?)',
    ).run(u.id, u.token_hash, u.project_id, u.expires_at, JSON.stringify(u));
  }
  async claimUpload(tokenHash: string, now: string) {
    this.now();
    // one conditional update: two racing PUTs cannot both claim the URL
    const claimed = this.sql(
      'UPDATE uploads SET used_at = ? WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?',
    ).run(now, tokenHash, now);
    if (claimed.changes === 0) return null;
    const row = this.sql('SELECT data, used_at FROM uploads WHERE token_hash = ?').get(tokenHash) as
      | (Row & { used_at: string })
      | undefined;
    const u = parse<UploadRecord>(row);
    return u && { ...u, used_at: row?.used_at ?? now };
  }

  async claimUploadById(uploadId: string, now: string) {
    const row = this.sql('SELECT token_hash FROM uploads WHERE id = ?').get(uploadId) as
      | { token_hash: string }
      | undefined;
    return row ? this.claimUpload(row.token_hash, now) : null;
  }

  forProject(projectId: string): ProjectRecords {
    return new SqliteProjectRecords(this.connection, projectId);
  }
}

/** The records of one project; every statement is bound to its id. */
class SqliteProjectRecords implements ProjectRecords {
  private readonly db: Database.Database;
  private readonly sql: (text: string) => Database.Statement;
  private readonly defer: Connection['defer'];
  private readonly now: () => void;

  constructor(
    connection: Connection,
    private readonly projectId: string,
  ) {
    this.db = connection.db;
    this.sql = (text) => connection.get(text);
    this.defer = (write) => connection.defer(write);
    this.now = () => connection.flush();
  }

  async putDocument(d: DocumentRecord) {
    const data = JSON.stringify(d); // as it is now, whatever the caller does with it next
    const { id, external_id, status, bytes } = d;
    await this.defer(() => this.write({ id, external_id, status, bytes }, data));
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
  async findDocumentByExternalId(externalId: string) {
    const sql = 'SELECT data FROM documents WHERE project_id = ? AND external_id = ?';
    return parse<DocumentRecord>(this.sql(sql).get(this.projectId, externalId) as Row);
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
    this.sql(
      `INSERT INTO golden_questions (id, project_id, data) VALUES (?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET data = excluded.data WHERE golden_questions.project_id = excluded.project_id`,
    ).run(q.id, this.projectId, JSON.stringify(q));
  }
  async getGoldenQuestion(id: string) {
    const sql = 'SELECT data FROM golden_questions WHERE id = ? AND project_id = ?';
    return parse<GoldenQuestion>(this.sql(sql).get(id, this.projectId) as Row);
  }
  async listGoldenQuestions() {
    const sql = 'SELECT data FROM golden_questions WHERE project_id = ? ORDER BY id DESC';
    return parseAll<GoldenQuestion>(this.sql(sql).all(this.projectId) as Row[]);
  }
  async deleteGoldenQuestion(id: string) {
    this.now();
    const sql = 'DELETE FROM golden_questions WHERE id = ? AND project_id = ?';
    return this.sql(sql).run(id, this.projectId).changes > 0;
  }
  async putGoldenRun(run: GoldenRun) {
    this.now();
    this.sql('INSERT INTO golden_runs (id, project_id, data) VALUES (?, ?, ?)').run(
      run.id,
      this.projectId,
      JSON.stringify(run),
    );
  }
  async listGoldenRuns() {
    const sql = 'SELECT data FROM golden_runs WHERE project_id = ? ORDER BY id DESC';
    return parseAll<GoldenRun>(this.sql(sql).all(this.projectId) as Row[]);
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
  async countInWindow(name: string, window: string) {
    return this.defer(() => this.count(name, window));
  }
  private count(name: string, window: string) {
    const row = this.sql(
      `INSERT INTO window_counters (project_id, name, win, count) VALUES (?, ?, ?, 1)
         ON CONFLICT (project_id, name, win) DO UPDATE SET count = count + 1 RETURNING count`,
    ).get(this.projectId, name, window) as { count: number };
    if (row.count === 1) {
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
    return this.db.transaction(() => {
      const documents = this.sql('DELETE FROM documents WHERE project_id = ?').run(p).changes;
      const keys = this.sql('DELETE FROM api_keys WHERE project_id = ?').run(p).changes;
      for (const table of [
        'golden_questions',
        'golden_runs',
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
  }
}
