/** The environment the AWS functions run with (set by the CDK stack), read and checked once. */
export interface AwsConfig {
  stage: string;
  region: string;
  tableName: string;
  bucketName: string;
  ingestQueueUrl: string;
  collections: { name: string; endpoint: string }[];
  indexCap: number;
  embedModelId: string;
  embedDimensions: number;
  generateModelId: string;
  auditTtlDays: number;
  publicUrl?: string;
  /** the dashboard's origin, allowed by CORS */
  dashboardOrigin?: string;
  /** the document reader function the worker hands untrusted files to (OPRAG_READER_FUNCTION) */
  readerFunctionName?: string;
}

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (!value) throw new Error(`missing environment variable ${name}`);
  return value;
}

function positive(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer`);
  return n;
}

export function readAwsConfig(env: NodeJS.ProcessEnv = process.env): AwsConfig {
  let collections: AwsConfig['collections'];
  try {
    collections = JSON.parse(required(env, 'OPRAG_COLLECTIONS'));
  } catch (e) {
    throw new Error(`OPRAG_COLLECTIONS must be a JSON array of {name, endpoint}: ${(e as Error).message}`);
  }
  if (!Array.isArray(collections) || collections.some((c) => !c?.name || !c?.endpoint)) {
    throw new Error('OPRAG_COLLECTIONS must be a JSON array of {name, endpoint}');
  }
  return {
    stage: env.OPRAG_STAGE ?? 'staging',
    region: env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1',
    tableName: required(env, 'OPRAG_TABLE_NAME'),
    bucketName: required(env, 'OPRAG_BUCKET_NAME'),
    ingestQueueUrl: required(env, 'OPRAG_INGEST_QUEUE_URL'),
    collections,
    indexCap: positive(env, 'OPRAG_INDEX_CAP', 200),
    embedModelId: required(env, 'OPRAG_EMBED_MODEL_ID'),
    embedDimensions: positive(env, 'OPRAG_EMBED_DIMENSIONS', 1024),
    generateModelId: required(env, 'OPRAG_GENERATE_MODEL_ID'),
    auditTtlDays: positive(env, 'OPRAG_AUDIT_TTL_DAYS', 400),
    publicUrl: env.OPRAG_PUBLIC_URL || undefined,
    dashboardOrigin: env.OPRAG_DASHBOARD_ORIGIN || undefined,
    readerFunctionName: env.OPRAG_READER_FUNCTION || undefined,
  };
}
