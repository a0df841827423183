import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/**
 * The layer rules of .dependency-cruiser.cjs, run as `npm run lint:layers` runs them: the real tree
 * keeps them, and a planted tree that breaks each one is caught, under that rule's name.
 */
const root = join(__dirname, '..', '..');
const cli = join(root, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs');
const config = join(root, '.dependency-cruiser.cjs');

interface Violation {
  rule: { name: string };
  from: string;
  to: string;
  cycle?: { name: string }[];
}

function cruise(cwd: string, paths: string[]): Promise<Violation[]> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [cli, ...paths, '--config', config, '--output-type', 'json'],
      { cwd, maxBuffer: 64 * 1024 * 1024 },
      // exits with the number of errors it found: the report is on stdout either way
      (error, stdout, stderr) => {
        try {
          resolve((JSON.parse(stdout) as { summary: { violations: Violation[] } }).summary.violations);
        } catch {
          reject(error ?? new Error(stderr || 'no report'));
        }
      },
    );
  });
}

/** Every file imports the modules it names; each line is one edge of the planted tree. */
const PLANTED: Record<string, string[]> = {
  'lambdas/core/model.ts': [],
  'lambdas/core/rank.ts': ['./model'],
  // type-only, and still a violation
  'lambdas/core/planted.ts': ['type:../service/search'],
  'lambdas/core/cycle-a.ts': ['./cycle-b'],
  'lambdas/core/cycle-b.ts': ['./cycle-a'],
  'lambdas/ports.ts': ['type:./core/model', './local/server'],
  'lambdas/service/search.ts': ['../core/rank', 'type:../ports', './context'],
  'lambdas/service/context.ts': ['type:../ports'],
  'lambdas/service/planted.ts': ['../adapters/store', '../http/app'],
  'lambdas/adapters/store.ts': ['../core/model', 'type:../ports', './other'],
  'lambdas/adapters/other.ts': [],
  'lambdas/adapters/planted.ts': ['type:../service/context'],
  'lambdas/http/app.ts': ['../service/search', '../adapters/other'],
  'lambdas/handlers/compose.ts': ['../adapters/store', '../service/search'],
  'lambdas/handlers/query.ts': ['./compose'],
  'lambdas/local/compose.ts': ['../adapters/store'],
  'lambdas/local/server.ts': ['../adapters/other'],
  'lambdas/client/eval.ts': ['../adapters/store'],
  'bin/cli.ts': ['../lambdas/adapters/store', '../lambdas/local/compose'],
};

function plant(dir: string) {
  for (const [file, imports] of Object.entries(PLANTED)) {
    mkdirSync(join(dir, dirname(file)), { recursive: true });
    const lines = imports.map((spec, i) =>
      spec.startsWith('type:')
        ? `import type * as t${i} from '${spec.slice(5)}';\nexport type T${i} = typeof t${i};`
        : `import * as m${i} from '${spec}';\nexport const v${i} = m${i};`,
    );
    writeFileSync(join(dir, file), `${lines.join('\n')}\nexport const x = 1;\n`);
  }
}

describe('layer rules (dependency-cruiser)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'oprag-layers-'));
  let real: Violation[];
  let planted: Violation[];

  beforeAll(async () => {
    plant(dir);
    [real, planted] = await Promise.all([cruise(root, ['lambdas', 'bin', 'lib']), cruise(dir, ['lambdas', 'bin'])]);
  }, 60_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('finds no violation in the tree as it is', () => {
    expect(real).toEqual([]);
  });

  it('names the broken rule for each planted import, and lets the allowed ones through', () => {
    const found = planted.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`).sort();
    expect(found).toEqual(
      [
        'adapters-import-core-ports-adapters: lambdas/adapters/planted.ts → lambdas/service/context.ts',
        'core-imports-only-core: lambdas/core/planted.ts → lambdas/service/search.ts',
        // a cycle is reported once, at the edge that closes it
        'no-circular: lambdas/core/cycle-a.ts → lambdas/core/cycle-b.ts',
        'only-composition-roots-import-adapters: lambdas/client/eval.ts → lambdas/adapters/store.ts',
        'only-composition-roots-import-adapters: lambdas/http/app.ts → lambdas/adapters/other.ts',
        'only-composition-roots-import-adapters: lambdas/local/server.ts → lambdas/adapters/other.ts',
        'only-composition-roots-import-adapters: lambdas/service/planted.ts → lambdas/adapters/store.ts',
        'ports-import-only-core: lambdas/ports.ts → lambdas/local/server.ts',
        'service-imports-core-ports-service: lambdas/service/planted.ts → lambdas/adapters/store.ts',
        'service-imports-core-ports-service: lambdas/service/planted.ts → lambdas/http/app.ts',
      ].sort(),
    );
  });
});
