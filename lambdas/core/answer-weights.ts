// Written by scripts/train-answer.ts from the docs-qa dev split: do not edit by hand.
import type { FeatureName } from './answer-features';

/** How much each feature of a unit counts (see answer-features.ts). */
export const ANSWER_WEIGHTS: Record<FeatureName, number> = {
  own: 3.166,
  coverage: 4.776,
  kind: 2.106,
  kindMissing: -0.99,
  default: 2.623,
  focus: 1.131,
  value: 0.973,
  entry: 0.304,
  code: -0.668,
  codeAsked: -0.04,
  row: 0.451,
  length: -0.268,
  short: -0.449,
  doc: 0.811,
  title: 1.622,
  pair: -0.314,
  polarity: -0.267,
  echo: 0.308,
  nameMissing: -2.177,
  gap: -0.803,
  lead: 1.01,
  bias: 0,
};

/** The score the best unit must reach for the extractive answerer to answer at all. */
export const ANSWER_MIN_SCORE = 5.993;
