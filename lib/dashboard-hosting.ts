import * as fs from 'node:fs';
import * as path from 'node:path';
import { Annotations, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { accessLogsBucket } from './access-logs-bucket';

const ROOT = path.join(__dirname, '..');
/** Where `dashboard/build.ts` writes the built dashboard. */
export const DASHBOARD_BUILD_DIR = path.join(ROOT, 'dist', 'dashboard');
/** The page written when no build exists, so synthesis never needs a network or a browser toolchain. */
export const DASHBOARD_PLACEHOLDER_DIR = path.join(ROOT, 'cdk.out', 'dashboard-placeholder');

const PLACEHOLDER_HTML = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Oprag</title></head>
<body><h1>Oprag</h1><p>The dashboard was not built when this stage was synthesized. Build it and deploy again.</p></body>
</html>
`;

/**
 * The directory the dashboard is deployed from: the build in dist/dashboard when it holds an
 * index.html, otherwise a placeholder page written under cdk.out/ (written to a temporary
 * directory first and renamed, so parallel syntheses never see half of it).
 */
export function dashboardAssetDir(
  buildDir = DASHBOARD_BUILD_DIR,
  placeholderDir = DASHBOARD_PLACEHOLDER_DIR,
): { dir: string; built: boolean } {
  if (fs.existsSync(path.join(buildDir, 'index.html'))) return { dir: buildDir, built: true };
  if (!fs.existsSync(path.join(placeholderDir, 'index.html'))) {
    fs.mkdirSync(path.dirname(placeholderDir), { recursive: true });
    const tmp = fs.mkdtempSync(`${placeholderDir}-`);
    fs.writeFileSync(path.join(tmp, 'index.html'), PLACEHOLDER_HTML);
    try {
      fs.renameSync(tmp, placeholderDir);
    } catch {
      // another synthesis renamed its copy first
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  }
  return { dir: placeholderDir, built: false };
}

/**
 * The Content-Security-Policy of every dashboard response: its own files, and calls to the API
 * and to the upload bucket (large files go straight to a presigned S3 URL) only.
 */
export function dashboardCsp(apiOrigin: string, uploadOrigin?: string): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    `connect-src 'self' ${apiOrigin}${uploadOrigin ? ` ${uploadOrigin}` : ''}`,
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

export interface DashboardHostingProps {
  readonly stage: string;
  /** The API's base URL (the stage's invoke URL), written into config.json as `apiBaseUrl`. */
  readonly apiUrl: string;
  /** The API's origin (`https://<id>.execute-api.<region>.amazonaws.com`), the only other origin the CSP lets the page call. */
  readonly apiOrigin: string;
  /** The origin presigned upload URLs point at (`https://<bucket>.s3.<region>.amazonaws.com`), which the page PUTs large files to. */
  readonly uploadOrigin?: string;
  /**
   * The built dashboard.
   * @default dashboardAssetDir()
   */
  readonly assetDir?: string;
  /**
   * Keep the buckets when the stack goes away; otherwise they are emptied and deleted.
   * @default false
   */
  readonly retain?: boolean;
  /**
   * Days CloudFront and S3 access logs are kept.
   * @default 365
   */
  readonly accessLogDays?: number;
}

/**
 * The web dashboard: its static build in a private S3 bucket (no website hosting), read by a
 * CloudFront distribution through Origin Access Control, HTTPS only, with a strict CSP and the
 * stage's API URL deployed beside it as config.json.
 */
export class DashboardHosting extends Construct {
  readonly bucket: s3.Bucket;
  readonly logsBucket: s3.Bucket;
  readonly distribution: cloudfront.Distribution;
  readonly headers: cloudfront.ResponseHeadersPolicy;
  readonly deployment: s3deploy.BucketDeployment;

  constructor(scope: Construct, id: string, props: DashboardHostingProps) {
    super(scope, id);
    const removalPolicy = props.retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    const autoDeleteObjects = !props.retain;

    // CloudFront's standard logs are delivered with an object ACL, so this bucket keeps ACLs enabled
    this.logsBucket = accessLogsBucket(this, 'AccessLogs', {
      logsOf: 'dashboard distribution and dashboard bucket access logs',
      retain: props.retain,
      days: props.accessLogDays,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
    });

    this.bucket = new s3.Bucket(this, 'Site', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      serverAccessLogsBucket: this.logsBucket,
      serverAccessLogsPrefix: 'site-bucket/',
      removalPolicy,
      autoDeleteObjects,
    });

    this.headers = new cloudfront.ResponseHeadersPolicy(this, 'Headers', {
      responseHeadersPolicyName: `oprag-${props.stage}-dashboard`,
      comment: 'Oprag dashboard: strict CSP, HSTS, nosniff, no framing',
      securityHeadersBehavior: {
        contentSecurityPolicy: {
          contentSecurityPolicy: dashboardCsp(props.apiOrigin, props.uploadOrigin),
          override: true,
        },
        strictTransportSecurity: {
          accessControlMaxAge: Duration.days(730),
          includeSubdomains: true,
          override: true,
        },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: cloudfront.HeadersFrameOption.DENY, override: true },
        referrerPolicy: { referrerPolicy: cloudfront.HeadersReferrerPolicy.NO_REFERRER, override: true },
      },
    });

    this.distribution = new cloudfront.Distribution(this, 'Distribution', {
      comment: `Oprag ${props.stage} dashboard`,
      defaultRootObject: 'index.html',
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      priceClass: cloudfront.PriceClass.PRICE_CLASS_100,
      defaultBehavior: {
        origin: origins.S3BucketOrigin.withOriginAccessControl(this.bucket),
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        allowedMethods: cloudfront.AllowedMethods.ALLOW_GET_HEAD,
        cachePolicy: cloudfront.CachePolicy.CACHING_OPTIMIZED,
        responseHeadersPolicy: this.headers,
        compress: true,
      },
      // the dashboard routes in the browser: a path S3 does not hold (/security, /projects/...)
      // is served index.html; without ListBucket, S3 answers a missing key with 403
      errorResponses: [403, 404].map((httpStatus) => ({
        httpStatus,
        responseHttpStatus: 200,
        responsePagePath: '/index.html',
        ttl: Duration.seconds(10),
      })),
      enableLogging: true,
      logBucket: this.logsBucket,
      logFilePrefix: 'cloudfront/',
    });
    NagSuppressions.addResourceSuppressions(this.distribution, [
      {
        id: 'AwsSolutions-CFR4',
        reason:
          "The distribution has no custom domain, so viewers connect with CloudFront's default *.cloudfront.net certificate, whose viewer security policy (TLSv1) CloudFront fixes itself; a minimum of TLSv1.2 can only be set with an alternate domain name and its own ACM certificate. Browsers negotiate TLS 1.2 or 1.3 with it.",
      },
      {
        id: 'AwsSolutions-CFR1',
        reason:
          "The dashboard is used by SaaS vendors' staff wherever they are; it serves only static build files, and every piece of data it shows comes from the API, which requires an Oprag key on every call.",
      },
      {
        id: 'AwsSolutions-CFR2',
        reason:
          'The distribution serves only the static build of the dashboard (no server code, no data, GET and HEAD only); the API it calls is throttled per stage by API Gateway and per project by Oprag limits, so a WebACL here would guard nothing the files do not already give away.',
      },
    ]);

    const assets = props.assetDir ? { dir: props.assetDir, built: true } : dashboardAssetDir();
    if (!assets.built) {
      Annotations.of(this).addWarning(
        `the dashboard is not built (${path.relative(ROOT, DASHBOARD_BUILD_DIR)} has no index.html); deploying a placeholder page`,
      );
    }
    this.deployment = new s3deploy.BucketDeployment(this, 'Deploy', {
      destinationBucket: this.bucket,
      sources: [
        // the build's own config.json (and its build stamp) stay behind: the stage's API URL is deployed instead
        s3deploy.Source.asset(assets.dir, { exclude: ['config.json', '.build-stamp'] }),
        s3deploy.Source.jsonData('config.json', { apiBaseUrl: props.apiUrl }),
      ],
      // the build's file names carry no content hash (app.js, styles.css): browsers and edges must
      // revalidate, or a page of one deploy could load the script of another
      cacheControl: [s3deploy.CacheControl.noCache()],
      distribution: this.distribution,
      distributionPaths: ['/*'],
      memoryLimit: 256,
    });
    const stack = Stack.of(this);
    suppressDeploymentHandlerFindings(stack, stack.getLogicalId(this.bucket.node.defaultChild as s3.CfnBucket));
  }

  /** The dashboard's browser origin, `https://<id>.cloudfront.net`. */
  get origin(): string {
    return `https://${this.distribution.distributionDomainName}`;
  }

  /** The dashboard's URL. */
  get url(): string {
    return `${this.origin}/`;
  }
}

/**
 * The BucketDeployment handler is a singleton CDK adds to the stack itself; it runs only while
 * CloudFormation deploys, never on a request path.
 */
function suppressDeploymentHandlerFindings(stack: Stack, siteBucketId: string): void {
  const handler = stack.node.children.find((c) => c.node.id.startsWith('Custom::CDKBucketDeployment'));
  if (!handler) return;
  const site = 'the dashboard bucket';
  NagSuppressions.addResourceSuppressions(
    handler,
    [
      {
        id: 'AwsSolutions-IAM4',
        reason:
          "CDK's BucketDeployment handler, which copies the dashboard build into its bucket at deploy time, runs under AWSLambdaBasicExecutionRole (its own logs only); it is not part of the request path and CDK does not let its role be replaced.",
        appliesTo: ['Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole'],
      },
      {
        id: 'AwsSolutions-IAM5',
        reason: `CDK's BucketDeployment grant: read of the CDK asset bucket (the zipped dashboard build) and read/write/delete of ${site} and its objects, with the action families CDK's bucket grants list; the file names of a build are not known before it is built. CloudFront invalidations cannot be scoped to one distribution by resource in the policy CDK writes, so CreateInvalidation and GetInvalidation name "*".`,
        appliesTo: [
          'Action::s3:GetBucket*',
          'Action::s3:GetObject*',
          'Action::s3:List*',
          'Action::s3:Abort*',
          'Action::s3:DeleteObject*',
          // the bootstrap asset bucket, named with the account and region as literals or tokens
          { regex: '/^Resource::arn:(<AWS::Partition>|aws[a-z-]*):s3:::cdk-[a-z0-9]+-assets-[^/]+\\/\\*$/' },
          `Resource::<${siteBucketId}.Arn>/*`,
          'Resource::*',
        ],
      },
      {
        id: 'AwsSolutions-L1',
        reason:
          "The runtime of CDK's BucketDeployment handler is chosen by aws-cdk-lib, which ships the handler code and tests it on that runtime; it runs only at deploy time, and upgrading aws-cdk-lib moves it.",
      },
    ],
    true,
  );
}
