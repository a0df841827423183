import type * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';

/** What an Oprag key looks like on the wire; anything else is an unauthenticated request to the edge. */
export const KEY_HEADER_PREFIX = 'Bearer oprag_';

/** The body WAF answers a blocked request with: API.md's error, as close as the edge can write it. */
const RATE_LIMITED_BODY = JSON.stringify({
  error: {
    type: 'rate_limited',
    message: 'too many requests at the edge for this key or address; retry after a minute',
    // WAF cannot name the gateway's request id: it answers before the gateway assigns one
    request_id: 'req_edge',
  },
});

export interface StageFirewallLimits {
  /** Requests one `Authorization` value may make per minute, across the stage. */
  readonly perKeyPerMinute: number;
  /** Requests without an Oprag key (no Authorization header, or not a bearer Oprag key) per address per minute. */
  readonly anonymousPerAddressPerMinute: number;
  /** Requests of any kind one source address may make per minute (a backstop against rotating keys). */
  readonly perAddressPerMinute: number;
}

export interface StageFirewallProps {
  /** Carried in the ACL and metric names. */
  readonly stage: string;
  /** The API stage the ACL guards. */
  readonly apiStage: apigw.Stage;
  readonly limits: StageFirewallLimits;
}

/**
 * A regional WAF web ACL on the API stage, with rate-based rules only: one key (counted by its
 * `Authorization` value), one anonymous address, or one address overall cannot take the whole
 * stage's throttle. No managed content rule sets: tenants' documents legitimately hold what those
 * rules block (SQL, scripts, markup in a security manual).
 */
export class StageFirewall extends Construct {
  readonly acl: wafv2.CfnWebACL;

  constructor(scope: Construct, id: string, props: StageFirewallProps) {
    super(scope, id);
    const name = `oprag-${props.stage}-api`;
    const visibility = (metric: string): wafv2.CfnWebACL.VisibilityConfigProperty => ({
      cloudWatchMetricsEnabled: true,
      metricName: `${name}-${metric}`,
      // sampled requests would show other tenants' keys to whoever reads the WAF console
      sampledRequestsEnabled: false,
    });
    const block: wafv2.CfnWebACL.RuleActionProperty = {
      block: {
        customResponse: {
          responseCode: 429,
          customResponseBodyKey: 'rate_limited',
          responseHeaders: [{ name: 'Retry-After', value: '60' }],
        },
      },
    };
    const hasKey: wafv2.CfnWebACL.StatementProperty = {
      byteMatchStatement: {
        fieldToMatch: { singleHeader: { Name: 'authorization' } },
        positionalConstraint: 'STARTS_WITH',
        searchString: KEY_HEADER_PREFIX,
        textTransformations: [{ priority: 0, type: 'NONE' }],
      },
    };

    const rules: wafv2.CfnWebACL.RuleProperty[] = [
      {
        name: 'per-key',
        priority: 0,
        action: block,
        statement: {
          rateBasedStatement: {
            aggregateKeyType: 'CUSTOM_KEYS',
            // requests without the header are not counted here: the next rule takes them
            customKeys: [{ header: { name: 'authorization', textTransformations: [{ priority: 0, type: 'NONE' }] } }],
            evaluationWindowSec: 60,
            limit: props.limits.perKeyPerMinute,
          },
        },
        visibilityConfig: visibility('per-key'),
      },
      {
        name: 'anonymous-per-address',
        priority: 1,
        action: block,
        statement: {
          rateBasedStatement: {
            aggregateKeyType: 'IP',
            evaluationWindowSec: 60,
            limit: props.limits.anonymousPerAddressPerMinute,
            scopeDownStatement: { notStatement: { statement: hasKey } },
          },
        },
        visibilityConfig: visibility('anonymous'),
      },
      {
        name: 'per-address',
        priority: 2,
        action: block,
        statement: {
          rateBasedStatement: {
            aggregateKeyType: 'IP',
            evaluationWindowSec: 60,
            limit: props.limits.perAddressPerMinute,
          },
        },
        visibilityConfig: visibility('per-address'),
      },
    ];

    this.acl = new wafv2.CfnWebACL(this, 'Acl', {
      name,
      description: `Oprag ${props.stage}: per-key and per-address rate limits on the API stage`,
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      customResponseBodies: {
        rate_limited: { contentType: 'APPLICATION_JSON', content: RATE_LIMITED_BODY },
      },
      rules,
      visibilityConfig: visibility('all'),
    });

    new wafv2.CfnWebACLAssociation(this, 'Association', {
      resourceArn: props.apiStage.stageArn,
      webAclArn: this.acl.attrArn,
    });
  }
}
