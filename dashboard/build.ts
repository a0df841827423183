/**
 * Builds the dashboard into dist/dashboard: the Preact app (with the typed client it calls the API
 * through) bundled by esbuild, its page and styles, config.json (the API base URL; empty = same
 * origin) and docs/security.md as HTML.
 *
 *   npm run build:dashboard [-- outDir]
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { build } from 'esbuild';
import { markdownToHtml } from './markdown';

const ROOT = resolve(__dirname, '..');
const SOURCE = join(ROOT, 'dashboard');
const SECURITY_MD = join(ROOT, 'docs', 'security.md');
export const DEFAULT_OUT_DIR = join(ROOT, 'dist', 'dashboard');
/**
 * The files of the typed client the app calls the API through: the only code outside dashboard/
 * it bundles (test/unit/dashboard-bundle.test.ts holds it to that), so they count in the stamp too.
 */
export const CLIENT_SOURCES = ['oprag.ts', 'oprag-common.ts', 'oprag-project.ts'].map((f) =>
  join('lambdas', 'client', f),
);
const STAMP = '.build-stamp';

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)],
  );
}

/** A hash of everything the build reads (this file too), so an up-to-date build can be left alone. */
export function sourceStamp(apiBaseUrl: string): string {
  const hash = createHash('sha256').update(apiBaseUrl);
  const inputs = [
    ...filesUnder(SOURCE),
    ...CLIENT_SOURCES.map((f) => join(ROOT, f)),
    ...(existsSync(SECURITY_MD) ? [SECURITY_MD] : []),
  ].sort();
  for (const f of inputs) hash.update(f).update(readFileSync(f));
  return hash.digest('hex');
}

export interface BuildResult {
  outDir: string;
  files: { path: string; bytes: number }[];
  skipped: boolean;
}

/**
 * Builds into a fresh directory next to outDir and swaps it in, so a server reading outDir never
 * sees a half-written build. With `ifChanged`, a build whose inputs are unchanged is kept.
 */
export async function buildDashboard(
  outDir = DEFAULT_OUT_DIR,
  opts: { apiBaseUrl?: string; ifChanged?: boolean; minify?: boolean } = {},
): Promise<BuildResult> {
  const apiBaseUrl = opts.apiBaseUrl ?? process.env.OPRAG_DASHBOARD_API_BASE_URL ?? '';
  const stamp = sourceStamp(apiBaseUrl);
  const list = (dir: string) =>
    filesUnder(dir).map((p) => ({ path: p.slice(dir.length + 1), bytes: statSync(p).size }));
  if (opts.ifChanged && existsSync(join(outDir, STAMP)) && readFileSync(join(outDir, STAMP), 'utf8') === stamp) {
    return { outDir, files: list(outDir), skipped: true };
  }
  mkdirSync(dirname(outDir), { recursive: true });
  const tmp = `${outDir}.tmp-${process.pid}-${Date.now()}`;
  mkdirSync(tmp, { recursive: true });
  try {
    await build({
      entryPoints: [join(SOURCE, 'src', 'main.ts')],
      bundle: true,
      outfile: join(tmp, 'app.js'),
      format: 'iife',
      target: ['es2020'],
      platform: 'browser',
      minify: opts.minify ?? true,
      sourcemap: false,
      legalComments: 'none',
      logLevel: 'silent',
      tsconfig: join(SOURCE, 'tsconfig.json'),
    });
    writeFileSync(join(tmp, 'index.html'), readFileSync(join(SOURCE, 'index.html')));
    writeFileSync(join(tmp, 'styles.css'), readFileSync(join(SOURCE, 'styles.css')));
    writeFileSync(join(tmp, 'config.json'), `${JSON.stringify({ apiBaseUrl }, null, 2)}\n`);
    const security = existsSync(SECURITY_MD)
      ? markdownToHtml(readFileSync(SECURITY_MD, 'utf8'))
      : '<h1>Security</h1>\n<p>The security notes (docs/security.md) were not written when this dashboard was built.</p>';
    writeFileSync(join(tmp, 'security.html'), `${security}\n`);
    writeFileSync(join(tmp, STAMP), stamp);
    const old = `${outDir}.old-${process.pid}-${Date.now()}`;
    if (existsSync(outDir)) renameSync(outDir, old);
    renameSync(tmp, outDir);
    rmSync(old, { recursive: true, force: true });
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  return { outDir, files: list(outDir), skipped: false };
}

if (require.main === module) {
  const outDir = process.argv[2] ? resolve(process.argv[2]) : DEFAULT_OUT_DIR;
  const started = Date.now();
  buildDashboard(outDir)
    .then((r) => {
      for (const f of r.files) if (!f.path.startsWith('.')) console.log(`${f.path.padEnd(16)} ${f.bytes} bytes`);
      console.log(`built ${r.outDir} in ${Date.now() - started} ms`);
    })
    .catch((e) => {
      console.error(e instanceof Error ? e.message : e);
      process.exit(1);
    });
}
