/**
 * The Lambda bundles as `cdk synth` builds them (same esbuild options, source map included):
 * size of each, what is in it, and how long requiring it takes with its environment set and
 * source maps on, as the functions run — the cold-start share that is ours.
 * `npm run bundle-report`
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { bundle, FUNCTIONS } from '../test/helpers/bundle';

const ENV = {
  OPRAG_STAGE: 'staging',
  AWS_REGION: 'us-east-1',
  OPRAG_TABLE_NAME: 'oprag-staging',
  OPRAG_BUCKET_NAME: 'bucket',
  OPRAG_INGEST_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/q',
  OPRAG_COLLECTIONS: '[{"name":"c","endpoint":"https://c.us-east-1.aoss.amazonaws.com"}]',
  OPRAG_EMBED_MODEL_ID: 'amazon.titan-embed-text-v2:0',
  OPRAG_GENERATE_MODEL_ID: 'us.anthropic.claude-haiku-4-5-20251001-v1:0',
  POWERTOOLS_SERVICE_NAME: 'oprag',
};

const RUNS = 9;

/**
 * Median of fresh processes requiring the bundle, with source maps on as the functions run them
 * (`NODE_OPTIONS=--enable-source-maps`), from the bundle's own directory: no node_modules in reach.
 */
function requireMs(file: string): number {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const run = spawnSync(
      process.execPath,
      [
        '--enable-source-maps',
        '-e',
        // the runtime's awslambda global, which the streaming query function needs at load
        `globalThis.awslambda={streamifyResponse:(h)=>h,HttpResponseStream:{from:(s)=>s}};const t=process.hrtime.bigint();require(${JSON.stringify(file)});console.log(Number(process.hrtime.bigint()-t)/1e6)`,
      ],
      { env: { PATH: process.env.PATH, ...ENV }, cwd: dirname(file), encoding: 'utf8' },
    );
    if (run.status !== 0) throw new Error(run.stderr);
    times.push(Number(run.stdout.trim()));
  }
  return times.sort((a, b) => a - b)[Math.floor(RUNS / 2)];
}

if (require.main === module) {
  const dir = mkdtempSync(join(tmpdir(), 'oprag-bundles-'));
  try {
    process.stdout.write(
      `| function | bundle (minified) | source map | require with env, median of ${RUNS} |\n| --- | --- | --- | --- |\n`,
    );
    for (const name of FUNCTIONS) {
      const b = bundle(name, dir);
      const kb = (n: number) => `${(n / 1024).toFixed(0)} KB`;
      process.stdout.write(
        `| ${name} | ${kb(b.bytes)} | ${kb(b.mapBytes)} | ${requireMs(b.outfile).toFixed(0)} ms |\n`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
