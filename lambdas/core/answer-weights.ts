// Written by scripts/train-answer.ts from the docs-qa dev split: do not edit by hand.
import type { FeatureName } from './answer-features';

/** How much each feature of a unit counts (see answer-features.ts). */
export const ANSWER_WEIGHTS: Record<FeatureName, number> = {
  own: 3.194,
  coverage: 5.199,
  kind: 1.884,
  kindMissing: -1.188,
  default: 2.402,
  focus: 1.111,
  value: 0.97,
  entry: 0.154,
  code: -0.261,
  codeAsked: -0.065,
  row: 0.566,
  length: -0.594,
  short: -0.522,
  doc: 0.564,
  title: 1.725,
  pair: -0.17,
  polarity: -0.265,
  echo: 0.138,
  bias: 0,
};

/** The score the best unit must reach for the extractive answerer to answer at all. */
export const ANSWER_MIN_SCORE = 6.111;
