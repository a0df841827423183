// Written by scripts/train-answer.ts from the docs-qa dev split: do not edit by hand.
import type { FeatureName } from './answer-features';

/** How much each feature of a unit counts (see answer-features.ts). */
export const ANSWER_WEIGHTS: Record<FeatureName, number> = {
  own: 3.367,
  coverage: 5.254,
  kind: 1.852,
  kindMissing: -1.219,
  default: 2.475,
  focus: 0.792,
  value: 0.868,
  entry: 0.281,
  code: -0.572,
  codeAsked: -0.061,
  row: 0.569,
  length: -0.425,
  short: -0.479,
  doc: 0.897,
  title: 1.692,
  pair: -0.243,
  polarity: -0.377,
  echo: 0.247,
  bias: 0,
};

/** The score the best unit must reach for the extractive answerer to answer at all. */
export const ANSWER_MIN_SCORE = 6.722;
