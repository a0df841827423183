import * as fs from 'node:fs';
import * as path from 'node:path';
import { App, Aspects, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { Stage } from '../../lib/config';
import { addOpragStage } from '../../lib/oprag-app';
import type { OpragStack } from '../../lib/oprag-stack';

/** A node of a synthesized template: CloudFormation JSON has no static type worth writing out. */
// biome-ignore lint/suspicious/noExplicitAny: template JSON is read by shape, asserted by the tests
export type Json = Record<string, any>;
export type Resources = Record<string, Json>;

/** The feature flags of cdk.json, so the tests build what `cdk synth` builds. */
const CDK_JSON_CONTEXT = JSON.parse(fs.readFileSync(path.join(__dirname, '../../cdk.json'), 'utf8')).context;

/**
 * A fresh app with cdk.json's context plus `context`; bundling is skipped, so no handler is compiled.
 * CDK's built-in CloudFormation validation (which `cdk synth` runs, failing on its errors as
 * cdk.json asks) costs tens of seconds a process; stages.test.ts runs it once, with `validate`.
 */
export function testApp(context: Record<string, unknown> = {}, opts: { validate?: boolean } = {}): App {
  return new App({
    context: { ...CDK_JSON_CONTEXT, 'aws:cdk:bundling-stacks': [], ...context },
    builtinCloudFormationValidation: opts.validate ?? false,
  });
}

/**
 * An empty stack in a fresh test app, for one construct on its own: a few hundred milliseconds
 * where a whole stage takes seconds. With `nag`, cdk-nag's AWS Solutions checks apply to it as
 * `addOpragStage` applies them to a stage.
 */
export function bareStack(opts: { nag?: boolean; context?: Record<string, unknown> } = {}): Stack {
  const stack = new Stack(testApp(opts.context), 'Bare');
  if (opts.nag) Aspects.of(stack).add(new AwsSolutionsChecks({ verbose: true }));
  return stack;
}

/** The template of a stack (cdk-nag's messages on stderr kept quiet) and its resources. */
export function templateOf(stack: Stack): { template: Template; resources: Resources } {
  const quiet = jest.spyOn(console, 'error').mockImplementation(() => {});
  try {
    const template = Template.fromStack(stack);
    return { template, resources: template.toJSON().Resources as Resources };
  } finally {
    quiet.mockRestore();
  }
}

export interface Synthesized {
  stack: OpragStack;
  template: Template;
  resources: Resources;
}

const cache = new Map<string, Synthesized>();

/**
 * One whole stage built through `addOpragStage` (cdk-nag applied), synthesized once per context
 * and test file. For what only the whole stage shows: how constructs are wired to each other.
 */
export function synth(stage: Stage, context: Record<string, unknown> = {}): Synthesized {
  const key = JSON.stringify([stage, context]);
  const hit = cache.get(key);
  if (hit) return hit;
  const stack = addOpragStage(testApp({ ...context, stage }));
  // synthesis prints cdk-nag warnings on stderr; nag.test.ts reads and reports them itself
  const result = { stack, ...templateOf(stack) };
  cache.set(key, result);
  return result;
}

export function ofType(resources: Resources, type: string): [string, Json][] {
  return Object.entries(resources).filter(([, r]) => r.Type === type);
}

/** Oprag's own functions (they carry OPRAG_STAGE), by their short name (`control`...). */
export function opragFunctions(resources: Resources): Map<string, { id: string; props: Json }> {
  const out = new Map<string, { id: string; props: Json }>();
  for (const [id, r] of ofType(resources, 'AWS::Lambda::Function')) {
    const env = r.Properties.Environment?.Variables ?? {};
    if (env.OPRAG_STAGE) out.set(String(r.Properties.FunctionName).split('-').pop()!, { id, props: r.Properties });
  }
  return out;
}

/** The logical id of the role a function runs as. */
export function roleOf(fn: { props: Json }): string {
  return fn.props.Role['Fn::GetAtt'][0];
}

/** Every statement of the identity policies attached to a role. */
export function statementsOf(resources: Resources, roleId: string): Json[] {
  return ofType(resources, 'AWS::IAM::Policy')
    .filter(([, p]) => p.Properties.Roles.some((r: Json) => r.Ref === roleId))
    .flatMap(([, p]) => p.Properties.PolicyDocument.Statement);
}

export function asArray<T>(value: T | T[]): T[] {
  return Array.isArray(value) ? value : [value];
}

/** The logical ids a CloudFormation value refers to (Ref, Fn::GetAtt), wherever they sit in it. */
export function referencedIds(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(referencedIds);
  if (value && typeof value === 'object') {
    const obj = value as Json;
    // pseudo parameters (AWS::Region...) are not resources
    if (typeof obj.Ref === 'string') return obj.Ref.startsWith('AWS::') ? [] : [obj.Ref];
    if (Array.isArray(obj['Fn::GetAtt'])) return [obj['Fn::GetAtt'][0]];
    return Object.values(obj).flatMap(referencedIds);
  }
  return [];
}

/** A string value as text: an Fn::Join is joined with every reference written as `<LogicalId>`. */
export function renderJoin(value: unknown): string {
  if (typeof value === 'string') return value;
  const [separator, parts] = (value as Json)['Fn::Join'];
  return parts.map((p: unknown) => (typeof p === 'string' ? p : `<${referencedIds(p)[0]}>`)).join(separator);
}
