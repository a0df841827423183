import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import { formatReport, runIsolationCheck } from '../lambdas/client/isolation-check';
import { Oprag } from '../lambdas/client/oprag';
import { composeLocal } from '../lambdas/local/compose';
import { startServer } from '../lambdas/local/server';
import { shedLimitsFromEnv } from '../lambdas/local/shed';
import { settingsFromEnv } from '../lambdas/service/context';
import { MODEL_DEFAULTS } from '../lib/model-defaults';

const program = new Command();
const defaultDataDir = () => resolve(process.env.OPRAG_DATA_DIR ?? './.oprag');
const defaultBaseUrl = () => process.env.OPRAG_BASE_URL ?? `http://127.0.0.1:${process.env.PORT ?? 8787}`;

/** The admin key: given, in OPRAG_ADMIN_KEY, or the one the local server saved; `needs` says who asks. */
function adminKey(given?: string, needs = 'this command needs a company admin key (oprag_ak_...)'): string {
  const key = given ?? process.env.OPRAG_ADMIN_KEY;
  if (key) return key;
  const file = join(defaultDataDir(), 'admin-key');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  throw new Error(
    `${needs}: pass --admin-key, or set OPRAG_ADMIN_KEY; none was given, OPRAG_ADMIN_KEY is unset and ${file} (the local server's saved key; OPRAG_DATA_DIR moves it) does not exist`,
  );
}

/** Just what the operator's commands need of a deployed stage: its tenant store. */
async function awsOperatorHome(tableName?: string, region?: string) {
  if (!tableName)
    throw new Error('--aws needs --stage or --table-name (or OPRAG_TABLE_NAME): the stack output TableName');
  const { DynamoDBClient } = await import('@aws-sdk/client-dynamodb');
  const { DynamoTenantStore } = await import('../lambdas/adapters/aws/dynamo-tenant-store');
  const { makeKeyServices } = await import('../lambdas/service/keys');
  const store = new DynamoTenantStore({ client: new DynamoDBClient({ region }), tableName });
  return { services: { keys: makeKeyServices({ store, iso: () => new Date().toISOString() }) }, close: async () => {} };
}

program.name('oprag').description("Tenant-isolated, cited answers over each customer's documents");

program
  .command('serve')
  .description('run the local Oprag server (SQLite, no cloud)')
  .option('--port <port>', 'port on 127.0.0.1', process.env.PORT ?? '8787')
  .option('--host <host>', 'address to listen on', process.env.OPRAG_HOST ?? '127.0.0.1')
  .option('--data-dir <dir>', 'where data lives', defaultDataDir())
  .action(async (opts: { port: string; host: string; dataDir: string }) => {
    const server = await startServer({
      dataDir: resolve(opts.dataDir),
      port: Number(opts.port),
      host: opts.host,
      publicUrl: process.env.OPRAG_PUBLIC_URL,
      settings: settingsFromEnv(process.env),
      limits: shedLimitsFromEnv(process.env),
    });
    const stop = async (signal: string) => {
      process.stdout.write(`${signal}: shutting down\n`);
      await server.close();
      process.stdout.write('stopped\n');
      process.exit(0);
    };
    process.once('SIGTERM', () => void stop('SIGTERM'));
    process.once('SIGINT', () => void stop('SIGINT'));
  });

const admin = program.command('admin').description('operator commands');
admin
  .command('create-company')
  .description('create a company and print its first admin key (once)')
  .requiredOption('--name <name>', 'the company name')
  .option('--data-dir <dir>', 'the local data directory', defaultDataDir())
  .option('--aws', "create it in a deployed stage's DynamoDB table (AWS credentials from the environment)")
  .option('--stage <stage>', 'the deployed stage, with --aws: its table is oprag-<stage>')
  .option(
    '--table-name <name>',
    'the stage table, with --aws (the stack output TableName)',
    process.env.OPRAG_TABLE_NAME,
  )
  .option('--region <region>', 'the AWS region, with --aws', process.env.AWS_REGION)
  .option('--max-projects <n>', "projects the company may hold (default: the deployment's maxProjectsPerCompany)")
  .option('--json', 'print JSON')
  .action(
    async (opts: {
      name: string;
      maxProjects?: string;
      dataDir: string;
      aws?: boolean;
      stage?: string;
      tableName?: string;
      region?: string;
      json?: boolean;
    }) => {
      const table = opts.stage ? `oprag-${opts.stage}` : opts.tableName;
      const home = opts.aws ? await awsOperatorHome(table, opts.region) : composeLocal(resolve(opts.dataDir));
      try {
        const maxProjects = opts.maxProjects === undefined ? undefined : Number(opts.maxProjects);
        const out = await home.services.keys.createCompany(opts.name, { maxProjects });
        if (opts.json) process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
        else {
          process.stdout.write(`company ${out.company.id} (${out.company.name})\n`);
          process.stdout.write(`admin key (shown once): ${out.api_key.key}\n`);
        }
      } finally {
        await home.close();
      }
    },
  );

program
  .command('ask')
  .description('ask a project a question and print the cited answer')
  .argument('<question...>', 'the question')
  .option('--base-url <url>', 'the API', defaultBaseUrl())
  .option('--key <key>', 'a project key, or a company key with --project', process.env.OPRAG_API_KEY)
  .option('--project <id>', 'the project (needed with a company key)')
  .option('--json', 'print the whole answer object')
  .action(async (words: string[], opts: { baseUrl: string; key?: string; project?: string; json?: boolean }) => {
    const key = opts.key ?? adminKey(undefined, 'ask needs a project key (--key or OPRAG_API_KEY) or a company key');
    if (key.startsWith('oprag_ak_') && !opts.project) {
      throw new Error(
        "a company key asks one of its projects: pass --project <project_id> (or ask with that project's key: --key oprag_pk_...)",
      );
    }
    const answer = await new Oprag({ baseUrl: opts.baseUrl, key })
      .project(opts.project)
      .chat({ question: words.join(' ') });
    if (opts.json) {
      process.stdout.write(`${JSON.stringify(answer, null, 2)}\n`);
      return;
    }
    process.stdout.write(`${answer.answer}\n`);
    for (const c of answer.citations) {
      process.stdout.write(`  [${c.index}] ${c.title ?? 'untitled'}${c.url ? ` <${c.url}>` : ''}: ${c.snippet}\n`);
    }
    if (answer.refusal) process.stdout.write('  (refused: the documents hold no answer)\n');
  });

program
  .command('mcp')
  .description("serve one project's documents as Model Context Protocol tools over stdio")
  .option('--base-url <url>', 'the API', defaultBaseUrl())
  .option(
    '--key <key>',
    "the project's key (scope query; ingest or review to list documents)",
    process.env.OPRAG_API_KEY,
  )
  .action(async (opts: { baseUrl: string; key?: string }) => {
    if (!opts.key) {
      process.stderr.write('pass --key with a project key, or set OPRAG_API_KEY\n');
      process.exit(1);
    }
    const { serveMcp } = await import('../lambdas/client/mcp-server');
    await serveMcp(opts.baseUrl, opts.key);
  });

program
  .command('isolation-check')
  .description('prove tenant isolation against a running deployment, local or AWS')
  .option('--base-url <url>', 'the API', defaultBaseUrl())
  .option('--admin-key <key>', 'a company admin key')
  .option('--json', 'print the report as JSON')
  .action(async (opts: { baseUrl: string; adminKey?: string; json?: boolean }) => {
    const report = await runIsolationCheck(
      opts.baseUrl,
      adminKey(
        opts.adminKey,
        'isolation-check needs a company admin key (oprag_ak_...) to create two throwaway projects',
      ),
    );
    process.stdout.write(`${opts.json ? JSON.stringify(report, null, 2) : formatReport(report)}\n`);
    process.exit(report.passed ? 0 : 1);
  });

program
  .command('smoke-models')
  .description(
    'call each Bedrock model a stage is configured with (the answer model also streaming), with your own AWS credentials, and say what is missing',
  )
  .option('--region <region>', 'the Region the stage is deployed in', process.env.AWS_REGION)
  .option('--embed-model <id>', 'the stage context embedModelId', MODEL_DEFAULTS.embedModelId)
  .option('--embed-dimensions <n>', 'the stage context embedDimensions', String(MODEL_DEFAULTS.embedDimensions))
  .option('--generate-model <id>', 'the stage context generateModelId', MODEL_DEFAULTS.generateModelId)
  .option('--json', 'print the results as JSON')
  .action(
    async (opts: {
      region?: string;
      embedModel: string;
      embedDimensions: string;
      generateModel: string;
      json?: boolean;
    }) => {
      const { BedrockRuntimeClient } = await import('@aws-sdk/client-bedrock-runtime');
      const { formatSmokeReport, smokeModels } = await import('../lambdas/adapters/aws/bedrock-smoke');
      const dimensions = Number(opts.embedDimensions);
      if (!Number.isInteger(dimensions) || dimensions < 1) {
        throw new Error(`--embed-dimensions must be a positive integer, got "${opts.embedDimensions}"`);
      }
      // the SDK's own retries would hide a throttled model: one attempt, reported as it is
      const client = new BedrockRuntimeClient({ region: opts.region, maxAttempts: 1 });
      const results = await smokeModels({
        client,
        embedModelId: opts.embedModel,
        embedDimensions: dimensions,
        generateModelId: opts.generateModel,
      });
      const region = await client.config.region();
      process.stdout.write(
        `${opts.json ? JSON.stringify({ region, results }, null, 2) : formatSmokeReport(results, region)}\n`,
      );
      process.exit(results.every((r) => r.outcome === 'ok') ? 0 : 1);
    },
  );

type IngestOptions = Parameters<typeof import('../lambdas/client/bulk-ingest-report').runIngestCommand>[1];
program
  .command('ingest')
  .description('ingest a folder (or files) into a project through the API; resumable')
  .argument('<paths...>', 'directories (walked recursively, dotfiles skipped) or files')
  .requiredOption('--project <id>', 'the project')
  .option('--base-url <url>', 'the API', defaultBaseUrl())
  .option('--key <key>', 'a project key with the ingest scope, or a company admin key', process.env.OPRAG_API_KEY)
  .option('--concurrency <n>', 'requests in flight', '4')
  .option('--no-wait', "don't wait until the documents are processed")
  .option('--timeout <seconds>', 'how long to wait for processing', '300')
  .option('--upload-threshold-bytes <n>', 'files larger than this go through upload URLs (default: about 10 MB)')
  .option('--batch-size <n>', 'most text files in one batch request (default 250; 0 sends each file on its own)')
  .option(
    '--url-template <template>',
    "each document's url, {path} being the file's path in the folder, e.g. 'https://docs.example.com/{path}' (a Markdown file's front matter url wins)",
  )
  .option('--json', 'print the summary as JSON')
  .action(async (paths: string[], opts: IngestOptions) => {
    const { runIngestCommand } = await import('../lambdas/client/bulk-ingest-report');
    process.exitCode = await runIngestCommand(paths, { ...opts, key: opts.key ?? adminKey() });
  });

program
  .command('eval')
  .description(
    'measure retrieval on a BEIR-layout benchmark through the HTTP API (a throwaway local server by default)',
  )
  .requiredOption(
    '--dataset <dir>',
    'a folder with corpus.jsonl, queries.jsonl and qrels/<split>.tsv, or a docs-qa folder (qa.json, corpus/<customer>/)',
  )
  .option('--split <split>', 'the qrels split: dev or test', 'dev')
  .option('--base-url <url>', 'measure this deployment instead (with --key, a company admin key)')
  .option('--key <key>', 'a company admin key, with --base-url')
  .option('--concurrency <n>', 'ingest requests in flight', '8')
  .option('--data-dir <dir>', 'docs-qa: keep the throwaway server data here and reuse its projects next time')
  .option('--customers <list>', 'docs-qa: only these customers (comma-separated)')
  .option('--limit <n>', 'docs-qa: at most this many questions of each list')
  .option('--no-misses', 'docs-qa: print the summary without the list of misses')
  .option('--json', 'print the report as one JSON object')
  .action(
    async (opts: {
      dataset: string;
      split: string;
      baseUrl?: string;
      key?: string;
      concurrency: string;
      dataDir?: string;
      customers?: string;
      limit?: string;
      misses: boolean;
      json?: boolean;
    }) => {
      const { isDocsQa, runDocsQaEval, formatDocsQaReport } = await import('../lambdas/client/eval-docs-qa');
      if (isDocsQa(opts.dataset)) {
        const report = await runDocsQaEval({
          dataset: opts.dataset,
          split: opts.split,
          baseUrl: opts.baseUrl,
          key: opts.key,
          dataDir: opts.dataDir,
          customers: opts.customers?.split(','),
          limit: opts.limit ? Number(opts.limit) : undefined,
          concurrency: Number(opts.concurrency),
          log: opts.json ? undefined : (line) => process.stderr.write(`${line}\n`),
        });
        process.stdout.write(`${opts.json ? JSON.stringify(report) : formatDocsQaReport(report, opts.misses)}\n`);
        return;
      }
      const { formatEvalReport, runEval } = await import('../lambdas/client/eval');
      const report = await runEval({
        dataset: opts.dataset,
        split: opts.split,
        baseUrl: opts.baseUrl,
        key: opts.key,
        concurrency: Number(opts.concurrency),
        log: opts.json ? undefined : (line) => process.stderr.write(`${line}\n`),
      });
      process.stdout.write(`${opts.json ? JSON.stringify(report) : formatEvalReport(report)}\n`);
    },
  );

program.parseAsync(process.argv).catch((e: Error) => {
  process.stderr.write(`oprag: ${e.message}\n`);
  process.exit(1);
});
