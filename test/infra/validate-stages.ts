/**
 * Synthesizes both stages in one app with CDK's built-in CloudFormation validation, as `cdk synth`
 * does, plus a template CloudFormation would reject, and writes what happened as JSON to the file
 * named by its argument. stages.test.ts runs it in a child process: the validation engine starts
 * several times faster there than inside a Jest worker, and beside the test's own synthesis.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CfnResource, Stack } from 'aws-cdk-lib';
import { addOpragStage } from '../../lib/oprag-app';
import { testApp } from './synth';

// cdk-nag reports its findings on stderr; nag.test.ts reads and reports them itself
console.error = () => {};
const app = testApp({}, { validate: true });
addOpragStage(app, 'staging');
addOpragStage(app, 'production');
app.synth();
const report = JSON.parse(fs.readFileSync(path.join(app.outdir, 'validation-report.json'), 'utf8'));

const brokenApp = testApp({}, { validate: true });
new CfnResource(new Stack(brokenApp, 'Broken'), 'Bucket', {
  type: 'AWS::S3::Bucket',
  properties: { NoSuchProperty: true },
});
let broken = '';
try {
  brokenApp.synth();
} catch (e) {
  broken = (e as Error).message;
}

const flag = app.node.tryGetContext('@aws-cdk/core:validateAgainstDefaultRules');
fs.writeFileSync(process.argv[2], JSON.stringify({ flag, report, broken }));
