import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundle, FUNCTIONS } from '../helpers/bundle';

describe('the Lambda bundles, built as cdk synth builds them', () => {
  const dir = mkdtempSync(join(tmpdir(), 'oprag-bundle-test-'));
  const bundles = Object.fromEntries(FUNCTIONS.map((name) => [name, bundle(name, dir)]));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each(FUNCTIONS)('%s stays within 1 MB minified', (name) => {
    expect(bundles[name].bytes).toBeLessThanOrEqual(1024 * 1024);
  });

  it.each(FUNCTIONS)('%s carries no local-only code', (name) => {
    const { packages, inputs } = bundles[name];
    for (const local of ['better-sqlite3', '@energetic-ai/embeddings', 'unpdf', 'mammoth']) {
      expect(packages.has(local)).toBe(false);
    }
    expect(inputs.some((i) => i.includes('adapters/local/') || i.includes('lambdas/local/'))).toBe(false);
    expect(inputs.some((i) => i.includes('adapters/aws/'))).toBe(true);
    // the HTML reader's parser comes without the DOM serializer and its entity encoders
    expect(inputs.some((i) => i.includes('entities/lib/esm/generated/encode-html'))).toBe(false);
    expect(inputs.some((i) => i.includes('stubs/dom-serializer'))).toBe(packages.has('htmlparser2'));
  });
});
