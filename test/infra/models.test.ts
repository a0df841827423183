import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { BedrockModels, PROFILE_DESTINATIONS, parseModelId } from '../../lib/bedrock-models';
import { readConfig } from '../../lib/config';
import { asArray, bareStack, type Json, ofType, templateOf, testApp } from './synth';

/** A CloudFormation string as text, pseudo parameters written `{AWS::Region}`. */
function render(value: unknown): string {
  if (typeof value === 'string') return value;
  const obj = value as Json;
  if (typeof obj.Ref === 'string') return `{${obj.Ref}}`;
  const [separator, parts] = obj['Fn::Join'];
  return (parts as unknown[]).map(render).join(separator);
}

interface Grant {
  actions: string[];
  resources: string[];
  condition?: Json;
}

/** The Bedrock statements a role gets when the given models are granted (embed and generate). */
function grants(embed: string, generate: string, opts: { stack?: Stack; profileRegions?: string[] } = {}): Grant[] {
  const stack = opts.stack ?? bareStack();
  const role = new iam.Role(stack, 'Fn', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
  const models = new BedrockModels(stack, { embed, generate, profileRegions: opts.profileRegions });
  models.grantEmbed(role);
  models.grantGenerate(role);
  const { resources } = templateOf(stack);
  return ofType(resources, 'AWS::IAM::Policy')
    .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Json[])
    .map((s) => {
      expect(s.Effect).toBe('Allow');
      const condition = s.Condition
        ? {
            [Object.keys(s.Condition)[0]]: {
              'bedrock:InferenceProfileArn': render(s.Condition.StringEquals['bedrock:InferenceProfileArn']),
            },
          }
        : undefined;
      // the policy minimizer orders resources: compare them as sets
      return { actions: asArray(s.Action), resources: asArray(s.Resource).map(render).sort(), condition };
    });
}

const sorted = (arns: string[]) => [...arns].sort();
const fm = (region: string, id: string) => `arn:{AWS::Partition}:bedrock:${region}::foundation-model/${id}`;
const HERE = '{AWS::Region}';
const profile = (id: string, region = HERE, account = '{AWS::AccountId}') =>
  `arn:{AWS::Partition}:bedrock:${region}:${account}:inference-profile/${id}`;
const TITAN = 'amazon.titan-embed-text-v2:0';
/** what embedding needs; answers also stream (ConverseStream) */
const EMBED = ['bedrock:InvokeModel'];
const GENERATE = ['bedrock:InvokeModel', 'bedrock:InvokeModelWithResponseStream'];
const HAIKU = 'anthropic.claude-haiku-4-5-20251001-v1:0';

describe('BedrockModels', () => {
  it('grants a foundation model id on its ARN in the stack Region only', () => {
    expect(grants(TITAN, 'anthropic.claude-3-haiku-20240307-v1:0')).toEqual([
      { actions: EMBED, resources: [fm(HERE, TITAN)], condition: undefined },
      { actions: GENERATE, resources: [fm(HERE, 'anthropic.claude-3-haiku-20240307-v1:0')], condition: undefined },
    ]);
  });

  it('grants a US profile on the profile, and on the model here and in us-east-1, us-east-2, us-west-1, us-west-2 only through that profile', () => {
    const id = `us.${HAIKU}`;

    expect(grants(TITAN, id)).toEqual([
      { actions: EMBED, resources: [fm(HERE, TITAN)], condition: undefined },
      { actions: GENERATE, resources: [profile(id)], condition: undefined },
      {
        actions: GENERATE,
        resources: sorted([HERE, 'us-east-1', 'us-east-2', 'us-west-1', 'us-west-2'].map((r) => fm(r, HAIKU))),
        condition: { StringEquals: { 'bedrock:InferenceProfileArn': profile(id) } },
      },
    ]);
  });

  it('grants an EU profile in every EU destination Region', () => {
    const id = `eu.${HAIKU}`;

    const [, , routed] = grants(TITAN, id);

    expect(routed.resources).toEqual(sorted([HERE, ...PROFILE_DESTINATIONS.eu].map((r) => fm(r, HAIKU))));
    expect(PROFILE_DESTINATIONS.eu).toEqual(
      expect.arrayContaining(['eu-central-1', 'eu-north-1', 'eu-west-1', 'eu-west-3']),
    );
    expect(routed.condition).toEqual({ StringEquals: { 'bedrock:InferenceProfileArn': profile(id) } });
  });

  it('grants an APAC profile in the Asia Pacific Regions', () => {
    const [, , routed] = grants(TITAN, `apac.${HAIKU}`);

    expect(routed.resources).toEqual(sorted([HERE, ...PROFILE_DESTINATIONS.apac].map((r) => fm(r, HAIKU))));
    expect(routed.resources.every((r) => r.includes(':bedrock:ap-') || r.includes(HERE))).toBe(true);
  });

  it('grants a global profile on the Region-less foundation-model ARN, through that profile only', () => {
    const id = `global.${HAIKU}`;

    expect(grants(TITAN, id)).toEqual([
      { actions: EMBED, resources: [fm(HERE, TITAN)], condition: undefined },
      { actions: GENERATE, resources: [profile(id)], condition: undefined },
      {
        actions: GENERATE,
        resources: sorted([fm(HERE, HAIKU), fm('', HAIKU)]),
        condition: { StringEquals: { 'bedrock:InferenceProfileArn': profile(id) } },
      },
    ]);
  });

  it('grants an embedding model given as a profile the same way', () => {
    const id = `us.${TITAN}`;

    const statements = grants(id, `us.${HAIKU}`);
    const direct = statements.filter((s) => !s.condition);
    const routed = statements.filter((s) => s.condition);

    expect(direct).toEqual(
      expect.arrayContaining([
        { actions: EMBED, resources: [profile(id)], condition: undefined },
        { actions: GENERATE, resources: [profile(`us.${HAIKU}`)], condition: undefined },
      ]),
    );
    expect(direct).toHaveLength(2);
    expect(routed.map((s) => s.resources.includes(fm(HERE, TITAN)) || s.resources.includes(fm(HERE, HAIKU)))).toEqual([
      true,
      true,
    ]);
    expect(routed.map((s) => [s.actions, s.condition?.StringEquals['bedrock:InferenceProfileArn']])).toEqual(
      expect.arrayContaining([
        [EMBED, profile(id)],
        [GENERATE, profile(`us.${HAIKU}`)],
      ]),
    );
  });

  it('takes the destination Regions of the stage configuration instead of the geography list', () => {
    const [, , routed] = grants(TITAN, `us.${HAIKU}`, { profileRegions: ['us-east-1', 'us-west-2'] });

    expect(routed.resources).toEqual(sorted([HERE, 'us-east-1', 'us-west-2'].map((r) => fm(r, HAIKU))));
  });

  it('names concrete ARNs in a stack with a known Region, and refuses a Region outside the profile', () => {
    const app = testApp();
    const inUsEast2 = new Stack(app, 'Ohio', { env: { account: '111122223333', region: 'us-east-2' } });
    const [, , routed] = grants(TITAN, `us.${HAIKU}`, { stack: inUsEast2 });

    // a concrete Region leaves no pseudo parameter, and the source Region is not named twice
    expect(routed.resources).toEqual(
      ['us-east-1', 'us-east-2', 'us-west-1', 'us-west-2'].map(
        (r) => `arn:aws:bedrock:${r}::foundation-model/${HAIKU}`,
      ),
    );
    expect(routed.condition).toEqual({
      StringEquals: {
        'bedrock:InferenceProfileArn': `arn:aws:bedrock:us-east-2:111122223333:inference-profile/us.${HAIKU}`,
      },
    });

    const inFrankfurt = new Stack(app, 'Frankfurt', { env: { account: '111122223333', region: 'eu-central-1' } });
    expect(() => grants(TITAN, `us.${HAIKU}`, { stack: inFrankfurt })).toThrow(
      /called from eu-central-1, which is not one of its source Regions/,
    );
  });
});

describe('the deploy-time Region rule', () => {
  it('lets a template without a Region deploy only in a source Region of each geographic profile', () => {
    const stack = bareStack();
    new BedrockModels(stack, { embed: TITAN, generate: `eu.${HAIKU}` });

    const rules = templateOf(stack).template.toJSON().Rules as Json;

    expect(Object.keys(rules).filter((r) => r.endsWith('ModelRegion'))).toEqual(['GenerateModelRegion']);
    expect(rules.GenerateModelRegion.Assertions).toEqual([
      {
        Assert: { 'Fn::Contains': [[...PROFILE_DESTINATIONS.eu], { Ref: 'AWS::Region' }] },
        AssertDescription: expect.stringContaining(
          `eu.${HAIKU} is a cross-Region inference profile called from eu-central-1`,
        ),
      },
    ]);
  });

  it('adds no rule for a foundation model, a global profile, or a stack with a known Region', () => {
    const bare = bareStack();
    new BedrockModels(bare, { embed: TITAN, generate: `global.${HAIKU}` });
    const known = new Stack(testApp(), 'Virginia', { env: { account: '111122223333', region: 'us-east-1' } });
    new BedrockModels(known, { embed: TITAN, generate: `us.${HAIKU}` });

    const modelRules = (stack: Stack) =>
      Object.keys(templateOf(stack).template.toJSON().Rules ?? {}).filter((r) => r.endsWith('ModelRegion'));
    expect(modelRules(bare)).toEqual([]);
    expect(modelRules(known)).toEqual([]);
  });
});

describe('parseModelId', () => {
  it.each([
    [`us.${HAIKU}`, 'us', HAIKU],
    ['global.anthropic.claude-sonnet-4-5-20250929-v1:0', 'global', 'anthropic.claude-sonnet-4-5-20250929-v1:0'],
    [TITAN, undefined, TITAN],
  ])('%s', (id, geography, foundationModel) => {
    expect(parseModelId(id)).toEqual({ id, geography, foundationModel });
  });
});

describe('readConfig model ids', () => {
  it('defaults to Claude Haiku 4.5 through its US profile and Titan Text Embeddings v2 in-Region', () => {
    expect(readConfig(testApp().node)).toMatchObject({
      embedModelId: TITAN,
      generateModelId: `us.${HAIKU}`,
      modelProfileRegions: undefined,
    });
  });

  it.each(['us', 'eu', 'apac', 'global'])('accepts a %s. inference profile id', (geo) => {
    expect(readConfig(testApp({ generateModelId: `${geo}.${HAIKU}` }).node).generateModelId).toBe(`${geo}.${HAIKU}`);
  });

  it('reads the destination Regions as a comma-separated list', () => {
    const config = readConfig(testApp({ modelProfileRegions: 'us-east-1, us-west-2' }).node);

    expect(config.modelProfileRegions).toEqual(['us-east-1', 'us-west-2']);
  });

  it.each([
    [{ generateModelId: 'us.' }, /foundation model id or a cross-Region inference profile id/],
    [{ generateModelId: 'us.eu.anthropic.claude' }, /foundation model id or a cross-Region inference profile id/],
    [{ generateModelId: 'claude-haiku' }, /foundation model id or a cross-Region inference profile id/],
    [{ generateModelId: `jp.${HAIKU}` }, /geography this app does not grant/],
    [{ generateModelId: `us-gov.${HAIKU}` }, /geography this app does not grant/],
    [{ modelProfileRegions: 'us-east-1,Oregon' }, /comma-separated list of AWS Regions/],
    [{ embedModelId: `us.${TITAN}`, embedDimensions: '768' }, /Titan Text Embeddings v2 serves/],
  ])('rejects %j', (context, message) => {
    expect(() => readConfig(testApp(context).node)).toThrow(message);
  });
});
