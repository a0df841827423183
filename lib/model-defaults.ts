/**
 * The Bedrock models a stage uses unless its context names others. Kept apart from the CDK code so
 * the CLI (`oprag smoke-models`) reads the same defaults without loading the CDK.
 *
 * Claude Haiku 4.5 is called through its US cross-Region inference profile; Titan Text Embeddings
 * v2 is called in the stage's own Region.
 */
export const MODEL_DEFAULTS = {
  embedModelId: 'amazon.titan-embed-text-v2:0',
  embedDimensions: 1024,
  generateModelId: 'us.anthropic.claude-haiku-4-5-20251001-v1:0',
} as const;
