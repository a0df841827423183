import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { App } from 'aws-cdk-lib';
import { dashboardAssetDir } from '../../lib/dashboard-hosting';
import { asArray, type Json, ofType, opragFunctions, referencedIds, synth } from './synth';

// with a configured dashboardOrigin instead: test/infra/functions.test.ts
const plain = synth('staging');
const { resources } = plain;

/** A CloudFormation string as text: references as `<LogicalId>`, pseudo parameters as `<AWS::Region>`. */
function text(value: unknown): string {
  if (typeof value === 'string') return value;
  const v = value as Json;
  if (v.Ref) return `<${v.Ref}>`;
  if (v['Fn::GetAtt']) return `<${v['Fn::GetAtt'][0]}>`;
  if (v['Fn::Join']) return v['Fn::Join'][1].map(text).join(v['Fn::Join'][0]);
  throw new Error(`cannot read ${JSON.stringify(value)} as text`);
}

function only(type: string, from = resources): [string, Json] {
  const found = ofType(from, type);
  expect(found).toHaveLength(1);
  return found[0];
}

const [distributionId, distribution] = only('AWS::CloudFront::Distribution');
const config = distribution.Properties.DistributionConfig;
const [restApiId] = only('AWS::ApiGateway::RestApi');
const [stageId] = only('AWS::ApiGateway::Stage');
/** The bucket CloudFront reads: the one its only origin names. */
const siteId = referencedIds(config.Origins[0].DomainName)[0];
const site = resources[siteId];

/** The policy statements of one bucket's bucket policy. */
function bucketStatements(bucketId: string): Json[] {
  const [[, policy]] = ofType(resources, 'AWS::S3::BucketPolicy').filter(
    ([, p]) => p.Properties.Bucket.Ref === bucketId,
  );
  return policy.Properties.PolicyDocument.Statement;
}

describe('the dashboard bucket', () => {
  it('is private, encrypted, TLS only, and no website', () => {
    expect(site.Type).toBe('AWS::S3::Bucket');
    expect(site.Properties.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(site.Properties.WebsiteConfiguration).toBeUndefined();
    expect(site.Properties.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault).toEqual(
      { SSEAlgorithm: 'AES256' },
    );
    expect(site.Properties.OwnershipControls.Rules).toEqual([{ ObjectOwnership: 'BucketOwnerEnforced' }]);
    expect(bucketStatements(siteId)).toContainEqual(
      expect.objectContaining({
        Effect: 'Deny',
        Action: 's3:*',
        Principal: { AWS: '*' },
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      }),
    );
  });

  it('lets only this distribution read it, through Origin Access Control', () => {
    const allows = bucketStatements(siteId).filter((s) => s.Effect === 'Allow');
    // besides CloudFront, only CDK's deploy-time role that empties the bucket when a staging stack is deleted
    const reads = allows.filter(
      (s) => !referencedIds(s.Principal).some((id) => id.startsWith('CustomS3AutoDeleteObjects')),
    );

    expect(allows.length - reads.length).toBe(1);
    expect(reads).toHaveLength(1);
    const [read] = reads;
    expect(read.Principal).toEqual({ Service: 'cloudfront.amazonaws.com' });
    expect(asArray(read.Action)).toEqual(['s3:GetObject']);
    expect(referencedIds(read.Condition.StringEquals['AWS:SourceArn'])).toEqual([distributionId]);
    // nothing in the stack hands out the bucket any other way
    for (const statement of bucketStatements(siteId)) expect(statement.Principal).not.toBe('*');
  });

  it('writes its access logs to the dashboard log bucket', () => {
    const logsId = referencedIds(site.Properties.LoggingConfiguration.DestinationBucketName)[0];
    expect(referencedIds(config.Logging.Bucket)).toEqual([logsId]);
    expect(resources[logsId].Properties.PublicAccessBlockConfiguration.RestrictPublicBuckets).toBe(true);
  });
});

describe('the dashboard distribution', () => {
  it('reads the bucket through an S3 Origin Access Control that signs every request', () => {
    const [oacId, oac] = only('AWS::CloudFront::OriginAccessControl');

    expect(oac.Properties.OriginAccessControlConfig).toMatchObject({
      OriginAccessControlOriginType: 's3',
      SigningBehavior: 'always',
      SigningProtocol: 'sigv4',
    });
    expect(config.Origins).toHaveLength(1);
    expect(referencedIds(config.Origins[0].OriginAccessControlId)).toEqual([oacId]);
    // no legacy origin access identity
    expect(config.Origins[0].S3OriginConfig.OriginAccessIdentity).toBe('');
    expect(ofType(resources, 'AWS::CloudFront::CloudFrontOriginAccessIdentity')).toHaveLength(0);
  });

  it('redirects HTTP to HTTPS, serves index.html at the root and answers GET and HEAD only', () => {
    expect(config.DefaultCacheBehavior.ViewerProtocolPolicy).toBe('redirect-to-https');
    expect(config.DefaultCacheBehavior.AllowedMethods).toEqual(['GET', 'HEAD']);
    expect(config.DefaultRootObject).toBe('index.html');
    expect(config.CacheBehaviors).toBeUndefined();
  });

  it('falls back to index.html with a 200 for paths the bucket does not hold (403 and 404)', () => {
    const fallbacks = config.CustomErrorResponses.map((r: Json) => [r.ErrorCode, r.ResponseCode, r.ResponsePagePath]);
    expect(fallbacks.sort()).toEqual([
      [403, 200, '/index.html'],
      [404, 200, '/index.html'],
    ]);
  });

  it('sends a strict CSP that lets the page call this stage API only, HSTS, nosniff and no framing', () => {
    const [policyId, policy] = only('AWS::CloudFront::ResponseHeadersPolicy');
    const security = policy.Properties.ResponseHeadersPolicyConfig.SecurityHeadersConfig;
    expect(referencedIds(config.DefaultCacheBehavior.ResponseHeadersPolicyId)).toEqual([policyId]);

    const csp = text(security.ContentSecurityPolicy.ContentSecurityPolicy);
    const directives = Object.fromEntries(
      csp.split(/;\s*/).map((d) => {
        const [name, ...values] = d.trim().split(/\s+/);
        return [name, values.join(' ')];
      }),
    );
    expect(directives).toMatchObject({
      'default-src': "'self'",
      'script-src': "'self'",
      'style-src': "'self'",
      'frame-ancestors': "'none'",
    });
    const [, files] = Object.entries(resources).find(
      ([id, r]) => r.Type === 'AWS::S3::Bucket' && id.startsWith('FilesBucket'),
    ) as [string, Json];
    expect(text(files.Properties.BucketName)).toBe('oprag-staging-files-<AWS::AccountId>-<AWS::Region>');
    // the page PUTs large files to the presigned URL of that bucket
    expect(directives['connect-src']).toBe(
      `'self' https://<${restApiId}>.execute-api.<AWS::Region>.<AWS::URLSuffix> https://oprag-staging-files-<AWS::AccountId>-<AWS::Region>.s3.<AWS::Region>.<AWS::URLSuffix>`,
    );
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|\*/);
    expect(security.ContentSecurityPolicy.Override).toBe(true);

    expect(security.StrictTransportSecurity.AccessControlMaxAgeSec).toBeGreaterThanOrEqual(31536000);
    expect(security.StrictTransportSecurity.Override).toBe(true);
    expect(security.ContentTypeOptions).toEqual({ Override: true });
    expect(security.FrameOptions.FrameOption).toBe('DENY');
  });

  it('is the stack output DashboardUrl', () => {
    const output = plain.template.toJSON().Outputs.DashboardUrl;
    expect(text(output.Value)).toBe(`https://<${distributionId}>/`);
  });
});

describe('the dashboard deployment', () => {
  const [, deployment] = only('Custom::CDKBucketDeployment');
  const props = deployment.Properties;
  const app = plain.stack.node.root as App;
  const assetDir = (objectKey: string) => path.join(app.outdir, `asset.${objectKey.replace(/\.zip$/, '')}`);

  it('copies the build into the dashboard bucket and invalidates the distribution', () => {
    expect(props.DestinationBucketName).toEqual({ Ref: siteId });
    expect(props.DistributionId).toEqual({ Ref: distributionId });
    expect(props.DistributionPaths).toEqual(['/*']);
    expect(props.Prune).toBe(true);
    // file names carry no content hash: every copy must be revalidated
    expect(props.SystemMetadata).toEqual({ 'cache-control': 'no-cache' });
  });

  it("writes config.json carrying this stage's API URL", () => {
    expect(props.SourceObjectKeys).toHaveLength(2);
    const configDir = assetDir(props.SourceObjectKeys[1]);
    const written = JSON.parse(fs.readFileSync(path.join(configDir, 'config.json'), 'utf8'));
    const [marker] = Object.keys(props.SourceMarkers[1]);

    // the file holds a marker the deployment replaces with the invoke URL of the API's stage
    expect(written).toEqual({ apiBaseUrl: marker });
    const url = props.SourceMarkers[1][marker];
    expect(text(url)).toBe(`https://<${restApiId}>.execute-api.<AWS::Region>.<AWS::URLSuffix>/<${stageId}>/`);
    expect(props.SourceMarkersConfig[1]).toEqual({ jsonEscape: true });
  });

  it("deploys the build's index.html and leaves the build's own config.json behind", () => {
    const buildDir = assetDir(props.SourceObjectKeys[0]);
    expect(fs.existsSync(path.join(buildDir, 'index.html'))).toBe(true);
    expect(fs.existsSync(path.join(buildDir, 'config.json'))).toBe(false);
  });
});

describe('the API answers the dashboard origin', () => {
  it("allows the distribution's own origin when no other dashboard origin is configured", () => {
    const origin = `'https://<${distributionId}>'`;
    const preflights = ofType(resources, 'AWS::ApiGateway::Method').filter(
      ([, m]) => m.Properties.HttpMethod === 'OPTIONS',
    );
    expect(preflights.length).toBeGreaterThan(0);
    for (const [, m] of preflights) {
      const allowed = m.Properties.Integration.IntegrationResponses[0].ResponseParameters;
      expect(text(allowed['method.response.header.Access-Control-Allow-Origin'])).toBe(origin);
    }
    for (const [, r] of ofType(resources, 'AWS::ApiGateway::GatewayResponse')) {
      expect(text(r.Properties.ResponseParameters['gatewayresponse.header.Access-Control-Allow-Origin'])).toBe(origin);
    }
    // every function that serves the API (the document reader is told only its stage and bucket)
    const served = [...opragFunctions(resources)].filter(([name]) => name !== 'reader');
    expect(served.map(([name]) => name).sort()).toEqual(['control', 'documents', 'query', 'worker']);
    for (const [, { props }] of served) {
      expect(text(props.Environment.Variables.OPRAG_DASHBOARD_ORIGIN)).toBe(`https://<${distributionId}>`);
    }
    const buckets = ofType(resources, 'AWS::S3::Bucket');
    const ingest = buckets.find(([, b]) => b.Properties.VersioningConfiguration)!;
    const [rule] = ingest[1].Properties.CorsConfiguration.CorsRules;
    expect(rule.AllowedOrigins.map(text)).toEqual([`https://<${distributionId}>`]);
    // no other bucket of the stage answers a browser
    for (const [id, b] of buckets) if (id !== ingest[0]) expect(b.Properties.CorsConfiguration).toBeUndefined();
  });
});

describe('the dashboard files a synthesis deploys', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'oprag-dashboard-assets-'));
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  it('are the build when it holds an index.html', () => {
    const build = path.join(root, 'build');
    fs.mkdirSync(build);
    fs.writeFileSync(path.join(build, 'index.html'), '<!doctype html>');

    expect(dashboardAssetDir(build, path.join(root, 'placeholder'))).toEqual({ dir: build, built: true });
    expect(fs.existsSync(path.join(root, 'placeholder'))).toBe(false);
  });

  it('are a placeholder page, written once, when there is no build', () => {
    const placeholder = path.join(root, 'out', 'placeholder');
    const first = dashboardAssetDir(path.join(root, 'missing'), placeholder);
    const again = dashboardAssetDir(path.join(root, 'missing'), placeholder);

    expect(first).toEqual({ dir: placeholder, built: false });
    expect(again).toEqual(first);
    expect(fs.readFileSync(path.join(placeholder, 'index.html'), 'utf8')).toMatch(/was not built/);
    // no temporary copy is left beside it
    expect(fs.readdirSync(path.dirname(placeholder))).toEqual(['placeholder']);
  });
});
