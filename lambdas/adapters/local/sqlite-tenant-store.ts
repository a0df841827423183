import type Database from 'better-sqlite3';
import type { ApiKeyRecord, AuditEvent, Company, ProjectRecord, UploadRecord } from '../../core/model';
import type { PageRequest, ProjectRecords, TenantStore } from '../../ports';
import { openPrivateDatabase } from './private-files';
import { Connection, page, parse, parseAll, type Row } from './sqlite-connection';
import { SqliteProjectRecords } from './sqlite-project-records';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS companies (id TEXT PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS api_keys (
  id TEXT PRIMARY KEY, hash TEXT NOT NULL UNIQUE, company_id TEXT NOT NULL, project_id TEXT, data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS api_keys_company ON api_keys (company_id, id);
CREATE INDEX IF NOT EXISTS api_keys_project ON api_keys (project_id, id);
CREATE INDEX IF NOT EXISTS api_keys_prefix ON api_keys (json_extract(data, '$.prefix'), company_id);
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
CREATE TABLE IF NOT EXISTS golden_results (
  project_id TEXT NOT NULL, run_id TEXT NOT NULL, idx INTEGER NOT NULL, data TEXT NOT NULL,
  PRIMARY KEY (project_id, run_id, idx));
CREATE TABLE IF NOT EXISTS exports (id TEXT PRIMARY KEY, project_id TEXT NOT NULL, data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS exports_project ON exports (project_id, id);
CREATE TABLE IF NOT EXISTS audit_events (
  id TEXT PRIMARY KEY, company_id TEXT, project_id TEXT, data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS audit_events_project ON audit_events (project_id, id);
CREATE INDEX IF NOT EXISTS audit_events_company ON audit_events (company_id, id);
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

/** The control database of the embedded home: one SQLite file for every tenant record. */
export class SqliteTenantStore implements TenantStore {
  private readonly db: Database.Database;
  private readonly connection: Connection;
  private readonly sql = (text: string) => this.connection.get(text);
  /** writes outside the group commit go after the ones already waiting */
  private readonly now = () => this.connection.flush();
  private get rows() {
    return this.connection.rows;
  }
  /** A row every request reads, by its one key: kept between the writes that change it (sqlite-row-cache.ts). */
  private cached<T>(key: string, sql: string, arg: string): T | null {
    const data = this.rows.get(key, () => (this.sql(sql).get(arg) as Row | undefined)?.data);
    return data === undefined ? null : (JSON.parse(data) as T);
  }

  constructor(file: string) {
    this.db = openPrivateDatabase(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 5000');
    // statement journals in memory: a group commit's statements (an upsert, a write a trigger
    // follows) each journal the pages they touch, and past 64 KiB SQLite spilled that journal to a
    // temporary file, two system calls a page (about 30,000 of them per 6,000 single POSTs)
    this.db.pragma('temp_store = MEMORY');
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
    this.rows.forget(`company:${c.id}`);
  }
  async getCompany(id: string) {
    return this.cached<Company>(`company:${id}`, 'SELECT data FROM companies WHERE id = ?', id);
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
    this.rows.forget(`key:${k.hash}`);
  }
  async getKey(id: string) {
    return parse<ApiKeyRecord>(this.sql('SELECT data FROM api_keys WHERE id = ?').get(id) as Row);
  }
  async findKeyByHash(hash: string) {
    return this.cached<ApiKeyRecord>(`key:${hash}`, 'SELECT data FROM api_keys WHERE hash = ?', hash);
  }
  async companiesByKeyPrefix(prefix: string) {
    const sql = `SELECT DISTINCT company_id FROM api_keys WHERE json_extract(data, '$.prefix') = ? ORDER BY company_id`;
    return (this.sql(sql).all(prefix) as { company_id: string }[]).map((r) => r.company_id);
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
      this.forgetKey(
        this.sql(`UPDATE api_keys SET data = json_set(data, '$.last_used_at', ?) WHERE id = ? RETURNING hash`).get(
          at,
          id,
        ),
      ),
    );
  }
  async revokeKey(id: string, at: string) {
    this.now();
    this.forgetKey(
      this.sql(
        `UPDATE api_keys SET data = json_set(data, '$.revoked_at', ?) WHERE id = ? AND json_extract(data, '$.revoked_at') IS NULL
           RETURNING hash`,
      ).get(at, id),
    );
    return this.getKey(id);
  }
  /** After a write to a key's row: the row kept for its hash is stale. */
  private forgetKey(changed: unknown) {
    if (changed) this.rows.forget(`key:${(changed as { hash: string }).hash}`);
  }

  async createProject(p: ProjectRecord) {
    this.now();
    this.sql('INSERT INTO projects (id, company_id, data) VALUES (?, ?, ?)').run(p.id, p.company_id, JSON.stringify(p));
    this.rows.forget(`project:${p.id}`);
  }
  async getProject(id: string) {
    return this.cached<ProjectRecord>(`project:${id}`, 'SELECT data FROM projects WHERE id = ?', id);
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
    this.rows.forget(`project:${p.id}`);
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

  async listCompanyAudit(companyId: string, req: PageRequest) {
    this.now();
    const rows = this.sql(
      'SELECT data FROM audit_events WHERE company_id = ? AND (? IS NULL OR id < ?) ORDER BY id DESC LIMIT ?',
    ).all(companyId, req.after ?? null, req.after ?? null, req.limit + 1) as Row[];
    return page<AuditEvent>(rows, req.limit);
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
  async findUpload(tokenHash: string, now: string) {
    const sql = 'SELECT data FROM uploads WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?';
    return parse<UploadRecord>(this.sql(sql).get(tokenHash, now) as Row);
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
