// Written by scripts/train-answer.ts from the docs-qa dev split: do not edit by hand.
import type { FeatureName } from './answer-features';

/** How much each feature of a unit counts (see answer-features.ts). */
export const ANSWER_WEIGHTS: Record<FeatureName, number> = {
  own: 3.245,
  coverage: 5.331,
  kind: 1.588,
  kindMissing: -1.362,
  default: 2.54,
  focus: 0.803,
  value: 0.844,
  entry: 0.313,
  code: -0.597,
  codeAsked: -0.058,
  row: 0.479,
  length: -0.268,
  short: -0.497,
  doc: 0.944,
  title: 1.695,
  pair: -0.116,
  polarity: -0.179,
  echo: 0.239,
  bias: 0,
};

/** The score the best unit must reach for the extractive answerer to answer at all. */
export const ANSWER_MIN_SCORE = 6.273;
