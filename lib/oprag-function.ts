import * as path from 'node:path';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';

/** The repository root: esbuild bundles from here, with the lockfile beside it. */
export const PROJECT_ROOT = path.resolve(__dirname, '..');

/** Where a function's entry lives: `lambdas/handlers/<name>.ts`, exporting `handler`. */
export function handlerEntry(name: string): string {
  return path.join(PROJECT_ROOT, 'lambdas', 'handlers', `${name}.ts`);
}

export interface OpragFunctionProps {
  readonly stage: string;
  /** Short name (`control`, `worker`...): the entry file, and part of the function name. */
  readonly name: string;
  /** Environment the handler reads (OPRAG_*). Powertools variables are added here. */
  readonly environment: Record<string, string>;
  /**
   * Entry file.
   * @default `lambdas/handlers/<name>.ts`
   */
  readonly entry?: string;
  /**
   * @default Duration.seconds(29), the longest API Gateway waits for an integration
   */
  readonly timeout?: Duration;
  /**
   * @default 1024
   */
  readonly memorySize?: number;
  /**
   * How long the function's logs are kept, and whether the log group outlives the stack.
   * @default { retention: ONE_MONTH, retain: false }
   */
  readonly logs?: { readonly retention?: logs.RetentionDays; readonly retain?: boolean };
  /**
   * Layers the function loads (the document readers, for the functions that ingest).
   * @default none
   */
  readonly layers?: lambda.ILayerVersion[];
}

/**
 * Left out of every bundle: the document readers, which come from their layer where a function
 * needs them. The AWS SDK v3 is bundled, although the Node.js 22 runtime carries one: one
 * tree-shaken file loads about a quarter faster than the runtime's many files (docs/benchmarks.md),
 * and the functions run the SDK version the tests ran.
 */
export const EXTERNAL_MODULES = ['unpdf', 'mammoth'];

/** The packages' ES module builds first: esbuild drops what the functions never import. */
export const MAIN_FIELDS = ['module', 'main'];

/**
 * Packages the bundles replace with a stub of our own (path from the project root): what the
 * functions import of them is never called (see the stub's comment).
 */
export const BUNDLE_ALIASES: Record<string, string> = {
  'dom-serializer': './lambdas/handlers/stubs/dom-serializer.ts',
};

/** The document-reading thread's entry (lambdas/adapters/parse-pool.ts starts it), from the project root. */
export const PARSE_WORKER_ENTRY = 'lambdas/adapters/parse-worker.ts';

/**
 * esbuild's command-line arguments that build the document-reading thread's entry as
 * `parse-worker.js` into `outdir`, with the handler's options: a worker thread loads a file of its
 * own, which NodejsFunction (one entry per function) does not build.
 */
export function parseWorkerBuildArgs(outdir: string): string[] {
  return [
    path.join(PROJECT_ROOT, PARSE_WORKER_ENTRY),
    '--bundle',
    '--platform=node',
    '--target=node22',
    '--format=cjs',
    '--minify',
    '--log-level=error',
    ...EXTERNAL_MODULES.map((m) => `--external:${m}`),
    `--main-fields=${MAIN_FIELDS.join(',')}`,
    ...Object.entries(BUNDLE_ALIASES).map(([name, stub]) => `--alias:${name}=${stub}`),
    `--outfile=${path.join(outdir, 'parse-worker.js')}`,
  ];
}

/**
 * One Oprag Lambda function: Node 22 on ARM64, bundled by the local esbuild (no Docker), traced by
 * X-Ray, logging to its own log group with retention, under a role that starts with nothing but
 * that log group; every other permission is granted by the construct that owns the resource.
 */
export class OpragFunction extends Construct {
  readonly function: nodejs.NodejsFunction;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: OpragFunctionProps) {
    super(scope, id);
    const functionName = `oprag-${props.stage}-${props.name}`;

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      logGroupName: `/aws/lambda/${functionName}`,
      retention: props.logs?.retention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: props.logs?.retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });

    // an explicit role instead of the default one, which carries the AWS-managed
    // AWSLambdaBasicExecutionRole (logs:* on every log group of the account)
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Oprag ${props.stage} ${props.name} function`,
    });
    this.logGroup.grantWrite(this.role);

    this.function = new nodejs.NodejsFunction(this, 'Function', {
      functionName,
      entry: props.entry ?? handlerEntry(props.name),
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 1024,
      timeout: props.timeout ?? Duration.seconds(29),
      role: this.role,
      logGroup: this.logGroup,
      tracing: lambda.Tracing.ACTIVE,
      layers: props.layers,
      environment: {
        ...props.environment,
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_SERVICE_NAME: `oprag-${props.name}`,
        POWERTOOLS_METRICS_NAMESPACE: `Oprag/${props.stage}`,
        // traces must not carry responses: they hold new keys' secrets, answers and document text
        POWERTOOLS_TRACER_CAPTURE_RESPONSE: 'false',
      },
      bundling: {
        target: 'node22',
        format: nodejs.OutputFormat.CJS,
        minify: true,
        sourceMap: true,
        // stack traces name the source file and line; leaving the sources' text out of the map
        // makes it less than half the size, and Node reads it whole when the function starts
        sourcesContent: false,
        externalModules: EXTERNAL_MODULES,
        mainFields: MAIN_FIELDS,
        esbuildArgs: Object.fromEntries(
          Object.entries(BUNDLE_ALIASES).map(([name, stub]) => [`--alias:${name}`, stub]),
        ),
        forceDockerBundling: false,
        commandHooks: {
          beforeBundling: () => [],
          beforeInstall: () => [],
          // the document-reading thread's file, beside the handler (where the pool looks for it)
          afterBundling: (_inputDir: string, outputDir: string) => [
            [path.join(PROJECT_ROOT, 'node_modules', '.bin', 'esbuild'), ...parseWorkerBuildArgs(outputDir)]
              .map((a) => JSON.stringify(a))
              .join(' '),
          ],
        },
      },
    });

    NagSuppressions.addResourceSuppressions(
      this.role,
      [
        {
          id: 'AwsSolutions-IAM5',
          reason:
            'X-Ray tracing (Tracing.ACTIVE) needs xray:PutTraceSegments and xray:PutTelemetryRecords, which support no resource-level permissions, so the statement must use Resource "*".',
          appliesTo: ['Resource::*'],
        },
      ],
      true,
    );
    NagSuppressions.addResourceSuppressions(this.function, [
      {
        id: 'AwsSolutions-L1',
        reason:
          'Pinned to nodejs22.x on purpose: the handlers are built and tested for the Node 22 line (esbuild target node22); moving to a newer runtime is a deliberate, tested change, not something a deploy should do on its own.',
      },
    ]);
  }
}
