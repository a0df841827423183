import type { Node } from 'constructs';
import { PROFILE_GEOGRAPHIES, parseModelId } from './bedrock-models';
import { MODEL_DEFAULTS } from './model-defaults';

/** The stages that can run side by side in one account. */
export const STAGES = ['staging', 'production'] as const;
export type Stage = (typeof STAGES)[number];

/** Everything a deployment of Oprag is configured with; read once from CDK context. */
export interface OpragConfig {
  readonly stage: Stage;
  /** OpenSearch Serverless collections in the pool; projects are spread over them. */
  readonly collectionPoolSize: number;
  /**
   * Project indexes one collection takes before new projects go to the next one. Each project is
   * one index (isolation is structural), and a collection's idle OCU need and its shard count grow
   * with its index count; 200 keeps a collection far below the service's per-collection index quota
   * while leaving room to grow a pool before it fills.
   */
  readonly indexCapPerCollection: number;
  /** Browser origin of the dashboard, allowed by CORS; none when absent. */
  readonly dashboardOrigin?: string;
  /** A foundation model id or a cross-Region inference profile id (`us.`, `eu.`, `apac.`, `global.`). */
  readonly embedModelId: string;
  readonly embedDimensions: number;
  /** A Bedrock model, or inference profile, that serves the Converse API. */
  readonly generateModelId: string;
  /** Destination Regions granted for a geographic inference profile; the geography's list when absent. */
  readonly modelProfileRegions?: readonly string[];
  /** Days audit events live before DynamoDB's TTL removes them. */
  readonly auditTtlDays: number;
  /**
   * Steady requests per second across the API stage (every tenant shares it): above one project's
   * default limits (1,200 chats and 6,000 ingests a minute, about 120 a second together), so a
   * project meets its own `429` first, and above the per-key edge limit, so one key cannot take it all.
   */
  readonly throttleRateLimit: number;
  readonly throttleBurstLimit: number;
  /** Requests one key (one `Authorization` value) may make per minute at the edge (WAF). */
  readonly edgeKeyPerMinute: number;
  /** Requests without an Oprag key one address may make per minute at the edge. */
  readonly edgeAnonymousPerMinute: number;
  /** Requests of any kind one address may make per minute at the edge. */
  readonly edgeAddressPerMinute: number;
  /** Projects a company may hold unless its own record sets `max_projects`. */
  readonly maxProjectsPerCompany: number;
  /** An IAM role or user ARN given read-only access to the project indexes; none when absent. */
  readonly operatorPrincipal?: string;
}

export const DEFAULTS = {
  stage: 'staging',
  collectionPoolSize: 1,
  indexCapPerCollection: 200,
  ...MODEL_DEFAULTS,
  auditTtlDays: 400,
  throttleRateLimit: 500,
  throttleBurstLimit: 1000,
  edgeKeyPerMinute: 9000,
  edgeAnonymousPerMinute: 120,
  edgeAddressPerMinute: 15000,
  maxProjectsPerCompany: 50,
} as const;

const PRINCIPAL_ARN = /^arn:aws[a-z-]*:iam::\d{12}:(role|user)\/[\w+=,.@/-]+$/;

/** Titan Text Embeddings v2 serves these output sizes only. */
const TITAN_V2_DIMENSIONS = [256, 512, 1024];
const MODEL_ID = /^[a-z0-9-]+\.[A-Za-z0-9._:-]+$/;
/** Prefixes of inference profiles this app cannot grant (other partitions, or geographies it does not list). */
const OTHER_PROFILE = /^(us-gov|jp|au|ca|apne|apse)\./;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;

function text(node: Node, key: string): string | undefined {
  const value = node.tryGetContext(key);
  if (value === undefined || value === null || value === '') return undefined;
  return String(value);
}

function positiveInt(node: Node, key: string, fallback: number, max: number): number {
  const raw = text(node, key);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > max) {
    throw new Error(`context ${key} must be an integer from 1 to ${max}, got "${raw}"`);
  }
  return n;
}

function atLeast(key: string, n: number, min: number): number {
  if (n < min) throw new Error(`context ${key} must be at least ${min}, got ${n}`);
  return n;
}

function modelId(node: Node, key: string, fallback: string): string {
  const id = text(node, key) ?? fallback;
  const { geography, foundationModel } = parseModelId(id);
  if (!MODEL_ID.test(foundationModel) || parseModelId(foundationModel).geography) {
    throw new Error(
      `context ${key} must be a Bedrock foundation model id or a cross-Region inference profile id (${PROFILE_GEOGRAPHIES.map((g) => `${g}.`).join(', ')}), got "${id}"`,
    );
  }
  if (!geography && OTHER_PROFILE.test(id)) {
    throw new Error(
      `context ${key} names an inference profile of a geography this app does not grant (it grants ${PROFILE_GEOGRAPHIES.map((g) => `${g}.`).join(', ')}), got "${id}"`,
    );
  }
  return id;
}

function regionList(node: Node, key: string): string[] | undefined {
  const raw = text(node, key);
  if (raw === undefined) return undefined;
  const regions = raw.split(',').map((r) => r.trim());
  const bad = regions.filter((r) => !REGION.test(r));
  if (bad.length > 0 || regions.length === 0) {
    throw new Error(`context ${key} must be a comma-separated list of AWS Regions such as us-east-1, got "${raw}"`);
  }
  return regions;
}

/** Reads and checks the deployment's configuration from CDK context (`-c key=value`). */
export function readConfig(node: Node): OpragConfig {
  const stage = text(node, 'stage') ?? DEFAULTS.stage;
  if (!(STAGES as readonly string[]).includes(stage)) {
    throw new Error(`context stage must be one of ${STAGES.join(', ')}, got "${stage}"`);
  }
  const dashboardOrigin = text(node, 'dashboardOrigin');
  if (dashboardOrigin !== undefined && !/^https?:\/\/[^/\s]+$/.test(dashboardOrigin)) {
    throw new Error(
      `context dashboardOrigin must be an origin such as https://app.example.com, got "${dashboardOrigin}"`,
    );
  }
  const embedModelId = modelId(node, 'embedModelId', DEFAULTS.embedModelId);
  const embedDimensions = positiveInt(node, 'embedDimensions', DEFAULTS.embedDimensions, 16000);
  if (
    parseModelId(embedModelId).foundationModel.startsWith('amazon.titan-embed-text-v2') &&
    !TITAN_V2_DIMENSIONS.includes(embedDimensions)
  ) {
    throw new Error(
      `Titan Text Embeddings v2 serves ${TITAN_V2_DIMENSIONS.join(', ')} dimensions, got ${embedDimensions}`,
    );
  }
  const operatorPrincipal = text(node, 'operatorPrincipal');
  if (operatorPrincipal !== undefined && !PRINCIPAL_ARN.test(operatorPrincipal)) {
    throw new Error(`context operatorPrincipal must be an IAM role or user ARN, got "${operatorPrincipal}"`);
  }
  const throttleRateLimit = positiveInt(node, 'throttleRateLimit', DEFAULTS.throttleRateLimit, 10000);
  const edgeKeyPerMinute = positiveInt(node, 'edgeKeyPerMinute', DEFAULTS.edgeKeyPerMinute, 2_000_000_000);
  if (edgeKeyPerMinute >= throttleRateLimit * 60) {
    throw new Error(
      `context edgeKeyPerMinute (${edgeKeyPerMinute}) must stay below the stage's ${throttleRateLimit * 60} requests a minute, or one key can take the stage`,
    );
  }
  return {
    stage: stage as Stage,
    // a collection name is `oprag-<stage>-<n>` and must stay within 32 characters
    collectionPoolSize: positiveInt(node, 'collectionPoolSize', DEFAULTS.collectionPoolSize, 20),
    indexCapPerCollection: positiveInt(node, 'indexCapPerCollection', DEFAULTS.indexCapPerCollection, 1000),
    dashboardOrigin,
    embedModelId,
    embedDimensions,
    generateModelId: modelId(node, 'generateModelId', DEFAULTS.generateModelId),
    modelProfileRegions: regionList(node, 'modelProfileRegions'),
    auditTtlDays: positiveInt(node, 'auditTtlDays', DEFAULTS.auditTtlDays, 3650),
    throttleRateLimit,
    throttleBurstLimit: positiveInt(node, 'throttleBurstLimit', DEFAULTS.throttleBurstLimit, 5000),
    // WAF rate-based rules take limits from 10 up
    edgeKeyPerMinute: atLeast('edgeKeyPerMinute', edgeKeyPerMinute, 10),
    edgeAnonymousPerMinute: atLeast(
      'edgeAnonymousPerMinute',
      positiveInt(node, 'edgeAnonymousPerMinute', DEFAULTS.edgeAnonymousPerMinute, 2_000_000_000),
      10,
    ),
    edgeAddressPerMinute: atLeast(
      'edgeAddressPerMinute',
      positiveInt(node, 'edgeAddressPerMinute', DEFAULTS.edgeAddressPerMinute, 2_000_000_000),
      10,
    ),
    maxProjectsPerCompany: positiveInt(node, 'maxProjectsPerCompany', DEFAULTS.maxProjectsPerCompany, 100_000),
    operatorPrincipal,
  };
}
