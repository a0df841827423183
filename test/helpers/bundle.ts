/**
 * The Lambda bundles built as `cdk synth` builds them (NodejsFunction's esbuild options, minified,
 * source map included), for the tests that check them and `npm run bundle-report`.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { buildSync } from 'esbuild';
import {
  BUNDLE_ALIASES,
  EXTERNAL_MODULES,
  handlerEntry,
  MAIN_FIELDS,
  PARSE_WORKER_ENTRY,
  PROJECT_ROOT,
} from '../../lib/oprag-function';

export const FUNCTIONS = ['control', 'documents', 'query', 'worker', 'reader'] as const;

/**
 * Bundles one handler like NodejsFunction does, with the document-reading thread's entry beside
 * it as the function's afterBundling hook builds it; returns the file and the packages inside.
 */
export function bundle(name: string, outdir: string) {
  const outfile = join(outdir, `${name}.js`);
  buildSync({
    entryPoints: [join(PROJECT_ROOT, PARSE_WORKER_ENTRY)],
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'cjs',
    minify: true,
    external: EXTERNAL_MODULES,
    mainFields: MAIN_FIELDS,
    alias: BUNDLE_ALIASES,
    absWorkingDir: PROJECT_ROOT,
    outfile: join(outdir, 'parse-worker.js'),
    logLevel: 'error',
  });
  const result = buildSync({
    entryPoints: [handlerEntry(name)],
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'cjs',
    minify: true,
    sourcemap: true,
    sourcesContent: false,
    external: EXTERNAL_MODULES,
    mainFields: MAIN_FIELDS,
    alias: BUNDLE_ALIASES,
    absWorkingDir: PROJECT_ROOT,
    outfile,
    metafile: true,
    logLevel: 'error',
  });
  const inputs = Object.keys(result.metafile.inputs);
  const packages = new Set(
    inputs
      .filter((i) => i.includes('node_modules/'))
      .map((i) => {
        const rest = i.split('node_modules/').pop() as string;
        return rest.startsWith('@') ? rest.split('/').slice(0, 2).join('/') : rest.split('/')[0];
      }),
  );
  return { outfile, bytes: statSync(outfile).size, mapBytes: statSync(`${outfile}.map`).size, packages, inputs };
}
