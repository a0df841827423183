import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { addContractErrorResponses } from './api-error-responses';
import { API_ROUTES, type ApiRoute, type ApiTarget, pathParameters } from './api-routes';

export interface OpragApiProps {
  /** Also the API Gateway stage name, so URLs read `.../<stage>/v1/...`. */
  readonly stage: string;
  /** The function behind each group of routes. */
  readonly functions: Record<ApiTarget, lambda.IFunction>;
  /** Steady requests per second and burst, across the stage. */
  readonly throttle: { readonly rateLimit: number; readonly burstLimit: number };
  /**
   * Browser origin allowed by CORS (the dashboard).
   * @default no CORS
   */
  readonly dashboardOrigin?: string;
  /**
   * How long access and execution logs are kept, and whether they outlive the stack.
   * @default { retention: ONE_MONTH, retain: false }
   */
  readonly logs?: { readonly retention?: logs.RetentionDays; readonly retain?: boolean };
  /**
   * @default API_ROUTES: every route of the app's route table (lambdas/http/route-table.ts) but the local-only ones
   */
  readonly routes?: readonly ApiRoute[];
  /**
   * The functions whose answers API Gateway streams to the caller as they are written (Lambda
   * response streaming, invoked with InvokeWithResponseStream), each with its integration timeout:
   * a streamed integration may wait up to 15 minutes, where a buffered one waits at most 29 seconds
   * (more only for a Regional API, after raising the account's "Maximum integration timeout in
   * milliseconds" quota). Such a function must be written for streaming (lambdas/handlers/query.ts).
   * @default none: every integration is buffered, with API Gateway's 29-second timeout
   */
  readonly streamed?: Partial<Record<ApiTarget, Duration>>;
}

/** The longest a response-streaming integration may wait, and a stream may last. */
export const MAX_STREAMED_INTEGRATION_TIMEOUT = Duration.minutes(15);

/**
 * The public REST API (API Gateway v1): every route of API.md as a Lambda proxy integration to its
 * function (buffered, or streaming for the functions named in `streamed`), stage throttling, JSON access logs, a request validator, and API.md-shaped errors for
 * what the gateway refuses itself.
 */
export class OpragApi extends Construct {
  readonly api: apigw.RestApi;
  readonly accessLogs: logs.LogGroup;

  constructor(scope: Construct, id: string, props: OpragApiProps) {
    super(scope, id);
    const retention = props.logs?.retention ?? logs.RetentionDays.ONE_MONTH;
    const removalPolicy = props.logs?.retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;

    this.accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      logGroupName: `/oprag/${props.stage}/api-access`,
      retention,
      removalPolicy,
    });

    this.api = new apigw.RestApi(this, 'Api', {
      restApiName: `oprag-${props.stage}`,
      description: `Oprag HTTP API v1 (${props.stage})`,
      endpointTypes: [apigw.EndpointType.REGIONAL],
      // multipart uploads and original document bytes must pass untouched; the app decodes
      // base64 bodies and answers JSON as text, which API Gateway passes through
      binaryMediaTypes: ['*/*'],
      // execution logging (below) needs the account-level CloudWatch role
      cloudWatchRole: true,
      cloudWatchRoleRemovalPolicy: RemovalPolicy.RETAIN,
      deployOptions: {
        stageName: props.stage,
        throttlingRateLimit: props.throttle.rateLimit,
        throttlingBurstLimit: props.throttle.burstLimit,
        accessLogDestination: new apigw.LogGroupLogDestination(this.accessLogs),
        accessLogFormat: apigw.AccessLogFormat.jsonWithStandardFields(),
        loggingLevel: apigw.MethodLoggingLevel.ERROR,
        // bodies hold documents and keys: never log them
        dataTraceEnabled: false,
        metricsEnabled: true,
        tracingEnabled: true,
      },
      defaultCorsPreflightOptions: props.dashboardOrigin
        ? {
            allowOrigins: [props.dashboardOrigin],
            allowMethods: ['GET', 'POST', 'PATCH', 'DELETE', 'OPTIONS'],
            allowHeaders: ['Authorization', 'Content-Type'],
            maxAge: Duration.hours(1),
          }
        : undefined,
    });

    // API Gateway creates the execution log group on first use with no expiry; create it first
    const executionLogs = new logs.LogGroup(this, 'ExecutionLogs', {
      logGroupName: `API-Gateway-Execution-Logs_${this.api.restApiId}/${props.stage}`,
      retention,
      removalPolicy,
    });
    this.api.deploymentStage.node.addDependency(executionLogs);

    // the stack declares its own ApiUrl output
    this.api.node.tryRemoveChild('Endpoint');

    const validator = this.api.addRequestValidator('RequireKey', {
      requestValidatorName: `oprag-${props.stage}-require-key`,
      validateRequestParameters: true,
      validateRequestBody: false,
    });
    addContractErrorResponses(this.api, props.dashboardOrigin);

    // one integration per function, so each function holds one API-scoped invoke permission
    // instead of one per method (which would outgrow the Lambda resource policy)
    const integrations = {} as Record<ApiTarget, apigw.LambdaIntegration>;
    for (const [target, fn] of Object.entries(props.functions) as [ApiTarget, lambda.IFunction][]) {
      const streamedFor = props.streamed?.[target];
      if (streamedFor && streamedFor.toMilliseconds() > MAX_STREAMED_INTEGRATION_TIMEOUT.toMilliseconds()) {
        throw new Error(
          `a streamed integration waits at most 15 minutes; ${target} asks ${streamedFor.toHumanString()}`,
        );
      }
      integrations[target] = new apigw.LambdaIntegration(fn, {
        proxy: true,
        scopePermissionToMethod: false,
        ...(streamedFor ? { responseTransferMode: apigw.ResponseTransferMode.STREAM, timeout: streamedFor } : {}),
      });
    }

    for (const route of props.routes ?? API_ROUTES) {
      const requestParameters: Record<string, boolean> = route.public
        ? {}
        : { 'method.request.header.Authorization': true };
      for (const name of pathParameters(route.path)) requestParameters[`method.request.path.${name}`] = true;
      this.api.root.resourceForPath(route.path).addMethod(route.method, integrations[route.target], {
        requestValidator: validator,
        requestParameters,
        authorizationType: apigw.AuthorizationType.NONE,
      });
    }

    NagSuppressions.addResourceSuppressions(this.api, [
      {
        id: 'AwsSolutions-APIG2',
        reason:
          'The request validator checks request parameters (every route requires the Authorization header and its path parameters). Bodies are validated by the zod schemas of the shared app so errors keep the API.md body; the API passes bodies as binary (binaryMediaTypes */*) for multipart uploads, which a gateway JSON model cannot check.',
      },
    ]);
    for (const method of this.api.methods) {
      const preflight = method.httpMethod === 'OPTIONS';
      if (preflight) {
        // with binaryMediaTypes */* the preflight's mock integration cannot map a "binary" request
        // and answers 500; it must convert to text both ways
        const cfn = method.node.defaultChild as apigw.CfnMethod;
        cfn.addPropertyOverride('Integration.ContentHandling', 'CONVERT_TO_TEXT');
        cfn.addPropertyOverride('Integration.IntegrationResponses.0.ContentHandling', 'CONVERT_TO_TEXT');
      }
      const discovery = method.resource.path === '/v1/openapi.json';
      const reason = discovery
        ? 'The OpenAPI document of the API (API.md: GET /v1/openapi.json, no key): public by the contract, it describes the routes and holds no tenant data.'
        : preflight
          ? 'CORS preflight for the dashboard: browsers send it without credentials, and a mock integration answers it without reaching any function.'
          : 'Callers authenticate with Oprag API keys (Bearer oprag_ak_/oprag_pk_), checked against their stored hash by the shared middy app in the function, the same code the local server runs (DESIGN.md); the gateway already refuses requests without an Authorization header. Neither IAM nor a Cognito user pool fits keys held by SaaS vendor backends.';
      NagSuppressions.addResourceSuppressions(method, [
        { id: 'AwsSolutions-APIG4', reason },
        { id: 'AwsSolutions-COG4', reason },
      ]);
    }
    const cloudWatchRole = this.api.node.tryFindChild('CloudWatchRole');
    if (cloudWatchRole) {
      NagSuppressions.addResourceSuppressions(cloudWatchRole, [
        {
          id: 'AwsSolutions-IAM4',
          reason:
            'AmazonAPIGatewayPushToCloudWatchLogs is the policy AWS documents for the account-level role API Gateway uses to write execution logs to log groups it names itself; it is assumed by apigateway.amazonaws.com only.',
          appliesTo: ['Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs'],
        },
      ]);
    }
  }

  /** The invoke URL of the stage, ending in `/`. */
  get url(): string {
    return this.api.url;
  }
}
