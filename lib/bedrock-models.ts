import { CfnRule, Fn, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';

export interface BedrockModelIds {
  /** The embedding model (Titan Text Embeddings v2). */
  readonly embed: string;
  /** The answer model, called through the Converse API. */
  readonly generate: string;
}

/** The geographies of Bedrock's system-defined cross-Region inference profiles, by id prefix. */
export const PROFILE_GEOGRAPHIES = ['us', 'eu', 'apac', 'global'] as const;
export type ProfileGeography = (typeof PROFILE_GEOGRAPHIES)[number];

/**
 * The Regions a geography's profiles may route a request to (their destination Regions), as the
 * Bedrock user guide lists them for the Anthropic and Amazon profiles. A profile of one model may
 * route to fewer of them; granting the rest is harmless because every grant on a foundation model
 * reached through a profile is conditioned on that very profile. `global` routes to any commercial
 * Region and is granted on the Region-less foundation-model ARN instead.
 */
export const PROFILE_DESTINATIONS: Record<Exclude<ProfileGeography, 'global'>, readonly string[]> = {
  us: ['us-east-1', 'us-east-2', 'us-west-1', 'us-west-2'],
  eu: ['eu-central-1', 'eu-north-1', 'eu-south-1', 'eu-south-2', 'eu-west-1', 'eu-west-3'],
  apac: [
    'ap-northeast-1',
    'ap-northeast-2',
    'ap-northeast-3',
    'ap-south-1',
    'ap-south-2',
    'ap-southeast-1',
    'ap-southeast-2',
    'ap-southeast-4',
  ],
};

/** A model id split into the inference profile's geography (if any) and the foundation model it names. */
export interface ParsedModelId {
  readonly id: string;
  readonly geography?: ProfileGeography;
  readonly foundationModel: string;
}

export function parseModelId(id: string): ParsedModelId {
  const dot = id.indexOf('.');
  const prefix = id.slice(0, dot);
  if ((PROFILE_GEOGRAPHIES as readonly string[]).includes(prefix)) {
    return { id, geography: prefix as ProfileGeography, foundationModel: id.slice(dot + 1) };
  }
  return { id, foundationModel: id };
}

export interface BedrockModelsProps extends BedrockModelIds {
  /**
   * Destination Regions granted for a geographic inference profile, replacing the geography's list.
   * @default PROFILE_DESTINATIONS of the profile's geography
   */
  readonly profileRegions?: readonly string[];
}

/**
 * The two Bedrock models a stage may invoke. A foundation-model id is granted on its ARN in the
 * stack's Region. A cross-Region inference profile id (`us.`, `eu.`, `apac.`, `global.`) is granted,
 * as Bedrock requires, on the profile's ARN in the stack's Region and on the foundation model in
 * the stack's Region and in every destination Region of the profile (`global`: the Region-less
 * foundation-model ARN), those only when the request comes through that profile. Nothing else: no
 * function can call any other model, nor this model outside its profile.
 */
export class BedrockModels {
  readonly ids: BedrockModelIds;
  private readonly statements: Record<keyof BedrockModelIds, iam.PolicyStatementProps[]>;

  constructor(scope: Construct, props: BedrockModelsProps) {
    this.ids = { embed: props.embed, generate: props.generate };
    const stack = Stack.of(scope);
    this.statements = {
      embed: statementsFor(stack, parseModelId(props.embed), EMBED_ACTIONS, props.profileRegions),
      generate: statementsFor(stack, parseModelId(props.generate), GENERATE_ACTIONS, props.profileRegions),
    };
    for (const [name, id] of [
      ['Embed', props.embed],
      ['Generate', props.generate],
    ] as const) {
      const model = parseModelId(id);
      if (!model.geography || model.geography === 'global' || !Token.isUnresolved(stack.region)) continue;
      // a template synthesized without a Region refuses, at deploy time, one the profile cannot be called from
      const sources = props.profileRegions ?? PROFILE_DESTINATIONS[model.geography];
      new CfnRule(scope, `${name}ModelRegion`, {
        assertions: [
          {
            assert: Fn.conditionContains([...sources], stack.region),
            assertDescription: `${id} is a cross-Region inference profile called from ${sources.join(', ')} only`,
          },
        ],
      });
    }
  }

  /** Embedding documents and questions. */
  grantEmbed(grantee: iam.IGrantable): iam.Grant {
    return this.grantInvoke(grantee, 'embed');
  }

  /** Writing answers (chat, golden runs). */
  grantGenerate(grantee: iam.IGrantable): iam.Grant {
    return this.grantInvoke(grantee, 'generate');
  }

  private grantInvoke(grantee: iam.IGrantable, model: keyof BedrockModelIds): iam.Grant {
    // Converse is authorised by bedrock:InvokeModel on the model (or profile) it calls, and
    // ConverseStream by bedrock:InvokeModelWithResponseStream
    const grants = this.statements[model].map((s) =>
      iam.Grant.addToPrincipal({
        grantee,
        actions: s.actions ?? [],
        resourceArns: s.resources ?? [],
        conditions: s.conditions,
      }),
    );
    return grants.reduce((all, g) => all.combine(g));
  }
}

/** Embeddings are one InvokeModel call each. */
const EMBED_ACTIONS = ['bedrock:InvokeModel'];
/** Answers: Converse for a whole answer, ConverseStream for a streamed one. */
const GENERATE_ACTIONS = ['bedrock:InvokeModel', 'bedrock:InvokeModelWithResponseStream'];

function statementsFor(
  stack: Stack,
  model: ParsedModelId,
  actions: string[],
  profileRegions?: readonly string[],
): iam.PolicyStatementProps[] {
  const foundationArn = (region: string) =>
    stack.formatArn({
      service: 'bedrock',
      region,
      account: '',
      resource: 'foundation-model',
      resourceName: model.foundationModel,
    });
  if (!model.geography) return [{ actions, resources: [foundationArn(stack.region)] }];

  const destinations = model.geography === 'global' ? [] : (profileRegions ?? PROFILE_DESTINATIONS[model.geography]);
  if (model.geography !== 'global' && !Token.isUnresolved(stack.region) && !destinations.includes(stack.region)) {
    throw new Error(
      `the inference profile ${model.id} is called from ${stack.region}, which is not one of its source Regions (${destinations.join(', ')}): deploy in one of them or configure a foundation model id`,
    );
  }
  const profileArn = stack.formatArn({ service: 'bedrock', resource: 'inference-profile', resourceName: model.id });
  const regional = [stack.region, ...destinations.filter((r) => r !== stack.region)].map(foundationArn);
  // a global profile may route to any commercial Region: Bedrock authorises that on the Region-less ARN
  const everywhere = model.geography === 'global' ? [foundationArn('')] : [];
  return [
    { actions, resources: [profileArn] },
    {
      actions,
      resources: [...regional, ...everywhere],
      conditions: { StringEquals: { 'bedrock:InferenceProfileArn': profileArn } },
    },
  ];
}
