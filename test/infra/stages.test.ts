import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { readConfig } from '../../lib/config';
import { addOpragStage } from '../../lib/oprag-app';
import { ofType, type Resources, testApp } from './synth';

/** Properties that set a physical name, which must be unique in an account (and region). */
const NAME_PROPERTIES = ['TableName', 'QueueName', 'TopicName', 'FunctionName', 'LogGroupName', 'AlarmName', 'Name'];

function physicalNames(template: Template): string[] {
  const names: string[] = [];
  for (const [id, r] of Object.entries(template.toJSON().Resources as Resources)) {
    // there FunctionName points at a function rather than naming the resource
    if (['AWS::Lambda::EventSourceMapping', 'AWS::Lambda::Permission'].includes(r.Type)) continue;
    for (const prop of NAME_PROPERTIES) {
      const value = r.Properties?.[prop];
      // a name built on another resource's name (/aws/lambda/<function>) is as unique as that name, checked on its own
      if (/"Ref":"(?!AWS::)/.test(JSON.stringify(value ?? null))) continue;
      if (value !== undefined)
        names.push(`${r.Type}:${typeof value === 'string' ? value : `${id}:${JSON.stringify(value)}`}`);
    }
  }
  return names;
}

interface Validation {
  flag: unknown;
  report: { pluginReports: { pluginName: string; violations: { severity: string; ruleName: string }[] }[] };
  broken: string;
}

/** CDK's built-in CloudFormation validation of both stages (./validate-stages.ts), started before anything else. */
const validation: Promise<Validation> = (() => {
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'oprag-validate-')), 'validation.json');
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'validate-stages.ts'), out], {
    cwd: path.join(__dirname, '../..'),
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`validate-stages.ts exited with ${code}: ${stderr}`));
      else resolve(JSON.parse(fs.readFileSync(out, 'utf8')));
      fs.rmSync(path.dirname(out), { recursive: true, force: true });
    });
  });
})();

describe('two stages in one account', () => {
  const app = testApp();
  const staging = addOpragStage(app, 'staging');
  const production = addOpragStage(app, 'production');
  const quiet = jest.spyOn(console, 'error').mockImplementation(() => {});
  const [stagingTemplate, productionTemplate] = [staging, production].map((s) => Template.fromStack(s));
  quiet.mockRestore();
  const [stagingNames, productionNames] = [stagingTemplate, productionTemplate].map(physicalNames);
  const resourcesOf = (t: Template) => t.toJSON().Resources as Resources;

  it("pass CDK's built-in CloudFormation validation, which fails `cdk synth` on an error", async () => {
    const { flag, report, broken } = await validation;

    expect(flag).toBe(true);
    const violations = report.pluginReports
      .filter((r) => r.pluginName === 'CloudFormation Validate')
      .flatMap((r) => r.violations);
    console.info(`CloudFormation validation: ${violations.map((v) => v.ruleName).join(', ') || '(nothing to report)'}`);
    expect(violations.filter((v) => v.severity === 'error' || v.severity === 'fatal')).toEqual([]);
    // and the same validation fails the synthesis of a template CloudFormation would reject
    expect(broken).toMatch(/NoSuchProperty/);
  }, 180_000);

  it('synthesize side by side as two stacks named by stage', () => {
    const stacks = app.node.children.filter((c) => c instanceof Stack) as Stack[];
    expect(stacks.map((s) => s.stackName).sort()).toEqual(['Oprag-production', 'Oprag-staging']);
    expect(staging.terminationProtection).toBe(false);
    expect(production.terminationProtection).toBe(true);
  });

  it('share no physical resource name', () => {
    expect(stagingNames.length).toBeGreaterThan(10);
    expect(stagingNames.filter((n) => productionNames.includes(n))).toEqual([]);
  });

  it('name their table by stage, and keep it (deletion protection on) in production only', () => {
    const [[, stagingTable]] = ofType(resourcesOf(stagingTemplate), 'AWS::DynamoDB::Table');
    const [[, productionTable]] = ofType(resourcesOf(productionTemplate), 'AWS::DynamoDB::Table');

    expect(stagingTable.Properties).toMatchObject({ TableName: 'oprag-staging', DeletionProtectionEnabled: false });
    expect(stagingTable.DeletionPolicy).toBe('Delete');
    expect(productionTable.Properties).toMatchObject({
      TableName: 'oprag-production',
      DeletionProtectionEnabled: true,
    });
    expect(productionTable.DeletionPolicy).toBe('Retain');
  });

  it('run search standby replicas in production only', () => {
    const standby = (t: Template) =>
      ofType(resourcesOf(t), 'AWS::OpenSearchServerless::Collection').map(([, c]) => c.Properties.StandbyReplicas);

    expect(standby(stagingTemplate)).toEqual(['DISABLED']);
    expect(standby(productionTemplate)).toEqual(['ENABLED']);
  });

  it('carry the stage in every literal name', () => {
    for (const [stage, names] of [
      ['staging', stagingNames],
      ['production', productionNames],
    ] as const) {
      const literal = names.filter((n) => !n.includes('{'));
      expect(literal.length).toBeGreaterThan(10);
      for (const name of literal) expect(name).toContain(stage);
    }
  });
});

describe('readConfig', () => {
  it('defaults to staging with one collection of 200 indexes and the documented models', () => {
    expect(readConfig(testApp().node)).toMatchObject({
      stage: 'staging',
      collectionPoolSize: 1,
      indexCapPerCollection: 200,
      embedModelId: 'amazon.titan-embed-text-v2:0',
      embedDimensions: 1024,
      generateModelId: 'us.anthropic.claude-haiku-4-5-20251001-v1:0',
    });
  });

  it('reads numbers given as strings on the command line', () => {
    const config = readConfig(testApp({ collectionPoolSize: '3', indexCapPerCollection: '150' }).node);
    expect([config.collectionPoolSize, config.indexCapPerCollection]).toEqual([3, 150]);
  });

  it.each([
    [{ stage: 'prod' }, /stage must be one of staging, production/],
    [{ collectionPoolSize: '0' }, /collectionPoolSize must be an integer/],
    [{ embedDimensions: '768' }, /Titan Text Embeddings v2 serves 256, 512, 1024/],
    [{ generateModelId: 'us.anthropic claude' }, /foundation model id/],
    [{ dashboardOrigin: 'https://app.example.com/path' }, /must be an origin/],
  ])('rejects %j', (context, message) => {
    expect(() => readConfig(testApp(context).node)).toThrow(message);
  });
});

describe('lib/', () => {
  it('imports no runtime code from lambdas/ but the data-only route table', () => {
    const dir = path.join(__dirname, '../../lib');
    const imports = fs
      .readdirSync(dir)
      .filter((f) => f.endsWith('.ts'))
      .flatMap((f) =>
        [...fs.readFileSync(path.join(dir, f), 'utf8').matchAll(/from\s+['"]([^'"]*lambdas\/[^'"]*)['"]/g)].map(
          (m) => `${f} -> ${m[1]}`,
        ),
      );
    expect(imports).toEqual(['api-routes.ts -> ../lambdas/http/route-table']);
    // the route table itself is data: its only import is a type
    const table = fs.readFileSync(path.join(__dirname, '../../lambdas/http/route-table.ts'), 'utf8');
    expect([...table.matchAll(/^import .*$/gm)].map((m) => m[0])).toEqual([
      "import type { Permission } from '../service/access';",
    ]);
  });
});
