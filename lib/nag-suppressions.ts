import type { Stack } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import { type NagPackSuppression, NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';

/**
 * Attaches suppressions to the role behind a grantee (its policies included), right where the
 * grant that causes the finding is made, so each reason sits beside the permission it explains.
 */
export function suppressOn(grantee: iam.IGrantable, suppressions: NagPackSuppression[]): void {
  const principal = grantee.grantPrincipal;
  if (principal instanceof Construct) NagSuppressions.addResourceSuppressions(principal, suppressions, true);
}

/** The same wording wherever a CDK grant on a customer-managed key adds the KMS action families. */
export const KMS_GRANT_FAMILIES: NagPackSuppression = {
  id: 'AwsSolutions-IAM5',
  reason:
    "CDK's encrypt/decrypt grant on a customer-managed key lists kms:GenerateDataKey* and kms:ReEncrypt* (the data-key and re-encrypt variants the service calls); the statement's Resource is that one key's ARN, not a wildcard.",
  appliesTo: ['Action::kms:GenerateDataKey*', 'Action::kms:ReEncrypt*'],
};

/**
 * Findings on resources CDK adds to the stack itself rather than to one of our constructs.
 */
export function suppressStackLevelFindings(stack: Stack): void {
  const notificationsHandler = stack.node.children.find((c) => c.node.id.startsWith('BucketNotificationsHandler'));
  if (notificationsHandler) {
    NagSuppressions.addResourceSuppressions(
      notificationsHandler,
      [
        {
          id: 'AwsSolutions-IAM4',
          reason:
            "CDK's built-in handler that writes the ingest bucket's notification configuration at deploy time runs under AWSLambdaBasicExecutionRole (its own logs only); it is not part of the request path and CDK does not let its role be replaced.",
          appliesTo: ['Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole'],
        },
      ],
      true,
    );
  }
}
