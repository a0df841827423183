import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';

export interface BedrockModelIds {
  /** The embedding model (Titan Text Embeddings v2). */
  readonly embed: string;
  /** The answer model, called through the Converse API. */
  readonly generate: string;
}

/**
 * The two Bedrock foundation models a stage may invoke. Grants name the model ARNs in the stack's
 * region and nothing else, so no function can call any other model.
 */
export class BedrockModels {
  private readonly arns: Record<keyof BedrockModelIds, string>;

  constructor(
    scope: Construct,
    readonly ids: BedrockModelIds,
  ) {
    const stack = Stack.of(scope);
    const arnOf = (modelId: string) =>
      stack.formatArn({ service: 'bedrock', account: '', resource: 'foundation-model', resourceName: modelId });
    this.arns = { embed: arnOf(ids.embed), generate: arnOf(ids.generate) };
  }

  /** Embedding documents and questions. */
  grantEmbed(grantee: iam.IGrantable): iam.Grant {
    return this.grantInvoke(grantee, 'embed');
  }

  /** Writing answers (chat, golden runs). */
  grantGenerate(grantee: iam.IGrantable): iam.Grant {
    return this.grantInvoke(grantee, 'generate');
  }

  private grantInvoke(grantee: iam.IGrantable, model: keyof BedrockModelIds): iam.Grant {
    // Converse is authorised by bedrock:InvokeModel on the model it calls
    return iam.Grant.addToPrincipal({ grantee, actions: ['bedrock:InvokeModel'], resourceArns: [this.arns[model]] });
  }
}
