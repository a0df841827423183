import { existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ParsePool } from '../../lambdas/adapters/parse-pool';
import { ExtractionError } from '../../lambdas/core/errors';
import { DEFAULT_READ_LIMITS } from '../../lambdas/core/read-limits';
import { PROJECT_ROOT } from '../../lib/oprag-function';
import { makeDocx } from '../fixtures/documents';
import { DOCX_TYPE, manyPagesPdf, underCountedDocx } from '../fixtures/hostile';
import { bundle } from '../helpers/bundle';

/**
 * The reading thread as the worker function ships it: `parse-worker.js` built beside the bundled
 * handler, started by the pool from there, the document readers left out of it as they are of the
 * handler (the repository's node_modules, linked beside the bundle, stands in for their layer).
 */
describe('the bundled reading thread', () => {
  let dir: string;
  let pool: ParsePool;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'oprag-parse-bundle-'));
    bundle('worker', dir);
    symlinkSync(join(PROJECT_ROOT, 'node_modules'), join(dir, 'node_modules'));
    pool = new ParsePool({
      limits: { ...DEFAULT_READ_LIMITS, maxZipEntries: 200 },
      entry: join(dir, 'parse-worker.js'),
    });
  });
  afterAll(async () => {
    await pool?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is built beside the handler', () => {
    expect(existsSync(join(dir, 'worker.js'))).toBe(true);
    expect(existsSync(join(dir, 'parse-worker.js'))).toBe(true);
  });

  it('reads a DOCX and a PDF through the layer packages', async () => {
    const docx = await pool.read(makeDocx(['# Billing', 'Invoices are sent monthly.']), DOCX_TYPE);
    expect(docx.drafts).toEqual([{ ordinal: 0, section: 'Billing', page: null, text: 'Invoices are sent monthly.' }]);
    const pdf = await pool.read(manyPagesPdf(2), 'application/pdf');
    expect(pdf.drafts.map((d) => [d.page, d.text])).toEqual([
      [1, 'page 1'],
      [2, 'page 2'],
    ]);
  });

  it('applies the same limits as the local home', async () => {
    const read = pool.read(underCountedDocx(500), DOCX_TYPE);
    await expect(read).rejects.toBeInstanceOf(ExtractionError);
    await expect(read).rejects.toThrow('the DOCX holds more than 200 files inside its ZIP container');
  });
});
