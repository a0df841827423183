import { Aspects } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { SynthesisMessage } from 'aws-cdk-lib/cx-api';
import { AwsSolutionsChecks } from 'cdk-nag';
import { bareStack, synth } from './synth';

/** Suppressed AwsSolutions rules; a new one must be reviewed and added here with its reason in lib/. */
const SUPPRESSED_RULES = [
  'AwsSolutions-APIG2',
  'AwsSolutions-APIG4',
  'AwsSolutions-CFR1',
  'AwsSolutions-CFR2',
  'AwsSolutions-CFR4',
  'AwsSolutions-COG4',
  'AwsSolutions-IAM4',
  'AwsSolutions-IAM5',
  'AwsSolutions-L1',
  'AwsSolutions-S1',
];

/** Warnings we accept and report (see docs/deploy.md, "What cdk-nag still reports"). */
const ACCEPTED_WARNINGS: string[] = [];

function findings(stage: 'staging' | 'production') {
  const { stack } = synth(stage, { dashboardOrigin: 'https://dashboard.example.com' });
  const quiet = jest.spyOn(console, 'error').mockImplementation(() => {});
  try {
    const annotations = Annotations.fromStack(stack);
    const describe = (m: SynthesisMessage) => `${m.id}: ${String(m.entry.data).split('\n')[0]}`;
    return {
      errors: annotations.findError('*', Match.stringLikeRegexp('AwsSolutions-.*')).map(describe),
      warnings: annotations.findWarning('*', Match.stringLikeRegexp('AwsSolutions-.*')).map(describe),
    };
  } finally {
    quiet.mockRestore();
  }
}

describe.each(['staging', 'production'] as const)('cdk-nag AwsSolutions on %s', (stage) => {
  it('reports no unsuppressed error', () => {
    expect(findings(stage).errors).toEqual([]);
  });

  it('reports only the accepted warnings', () => {
    const { warnings } = findings(stage);
    // reported, not hidden: they show in the test output
    console.info(`cdk-nag warnings on ${stage}:\n${warnings.join('\n') || '(none)'}`);

    const rules = new Set(warnings.map((w) => w.match(/AwsSolutions-[A-Za-z0-9]+/)![0]));
    expect([...rules].filter((r) => !ACCEPTED_WARNINGS.includes(r))).toEqual([]);
  });

  it('suppresses only reviewed rules, each with a specific written reason', () => {
    const { resources } = synth(stage, { dashboardOrigin: 'https://dashboard.example.com' });
    const suppressions = Object.values(resources).flatMap((r) => r.Metadata?.cdk_nag?.rules_to_suppress ?? []);

    expect(suppressions.length).toBeGreaterThan(0);
    expect([...new Set(suppressions.map((s: { id: string }) => s.id))].sort()).toEqual(SUPPRESSED_RULES);
    for (const s of suppressions) {
      expect(SUPPRESSED_RULES).toContain(s.id);
      expect(s.reason.length).toBeGreaterThan(80);
      expect(s.reason).not.toMatch(/\b(todo|tbd|fixme)\b/i);
    }
  });
});

describe('cdk-nag is applied to the whole stage', () => {
  it('as an aspect of the stage stack itself, so it checks whatever the stack holds', () => {
    const { stack } = synth('staging', { dashboardOrigin: 'https://dashboard.example.com' });

    expect(Aspects.of(stack).all.filter((a) => a instanceof AwsSolutionsChecks)).toHaveLength(1);
  });

  it('fails synthesis on a non-compliant resource nothing suppresses', () => {
    const stack = bareStack({ nag: true });
    new s3.Bucket(stack, 'UnencryptedProbe'); // no TLS-only policy, no access logs

    const quiet = jest.spyOn(console, 'error').mockImplementation(() => {});
    let failure: Error | undefined;
    try {
      Annotations.fromStack(stack);
    } catch (e) {
      failure = e as Error;
    } finally {
      quiet.mockRestore();
    }
    expect(failure?.message).toMatch(/AwsSolutions-S10/);
  });
});
