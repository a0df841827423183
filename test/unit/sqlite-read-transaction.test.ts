import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { inReadTransaction } from '../../lambdas/adapters/local/sqlite-search';

/** A search's read transaction: one snapshot for all its statements, ended whatever happens. */

let dir: string;
let db: Database.Database;
let other: Database.Database;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'oprag-read-tx-'));
  const file = join(dir, 'x.db');
  db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.exec('CREATE TABLE t (v INTEGER); INSERT INTO t VALUES (1)');
  other = new Database(file);
});

afterEach(() => {
  db.close();
  other.close();
  rmSync(dir, { recursive: true, force: true });
});

const count = () => db.prepare('SELECT count(*) FROM t').pluck().get() as number;

test('every statement of the read sees the same commit, and the next read sees later ones', () => {
  const seen = inReadTransaction(db, () => {
    const before = count();
    other.prepare('INSERT INTO t VALUES (2)').run(); // committed on another connection meanwhile
    return [before, count(), db.inTransaction];
  });
  expect(seen).toEqual([1, 1, true]);
  expect(db.inTransaction).toBe(false);
  expect(inReadTransaction(db, count)).toBe(2);
});

test('a read that throws ends its transaction, and the error reaches the caller', () => {
  expect(() =>
    inReadTransaction(db, () => {
      count();
      throw new Error('ranking failed');
    }),
  ).toThrow('ranking failed');
  expect(db.inTransaction).toBe(false);
  // the file is not held: another connection checkpoints it whole
  other.prepare('INSERT INTO t VALUES (3)').run();
  expect(other.pragma('wal_checkpoint(TRUNCATE)')).toEqual([{ busy: 0, log: 0, checkpointed: 0 }]);
});

test('inside a transaction already open, the read joins it and leaves it open', () => {
  db.exec('BEGIN');
  expect(inReadTransaction(db, count)).toBe(1);
  expect(db.inTransaction).toBe(true);
  db.exec('COMMIT');
});
