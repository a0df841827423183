import { type App, Aspects, Tags } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { readConfig, type Stage } from './config';
import { OpragStack } from './oprag-stack';

/**
 * Adds a stage (by default the one chosen by `-c stage=staging|production`) to the app, tags it and checks
 * it against cdk-nag's AWS Solutions rules. `bin/cdk.ts` and the infra tests both build through
 * here, so the tests check exactly what `cdk synth` produces.
 */
export function addOpragStage(app: App, stage?: Stage): OpragStack {
  const config = { ...readConfig(app.node), ...(stage ? { stage } : {}) };
  const stack = new OpragStack(app, `Oprag-${config.stage}`, {
    config,
    // account and region come from the CLI's credentials; without them the template stays environment-agnostic
    env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  });
  Tags.of(stack).add('project', 'oprag');
  Tags.of(stack).add('stage', config.stage);
  // an unsuppressed AwsSolutions error is an error annotation, which fails `cdk synth`
  Aspects.of(stack).add(new AwsSolutionsChecks({ verbose: true }));
  return stack;
}
