// Written by scripts/train-answer.ts from the docs-qa dev split: do not edit by hand.
import type { FeatureName } from './answer-features';

/** How much each feature of a unit counts (see answer-features.ts). */
export const ANSWER_WEIGHTS: Record<FeatureName, number> = {
  own: 3.316,
  coverage: 4.777,
  kind: 2.1,
  kindMissing: -0.993,
  default: 2.649,
  focus: 1.093,
  value: 0.893,
  entry: 0.294,
  code: -0.596,
  codeAsked: -0.042,
  row: 0.485,
  length: -0.265,
  short: -0.467,
  doc: 0.83,
  title: 1.624,
  pair: -0.267,
  polarity: -0.25,
  echo: 0.35,
  nameMissing: -2.222,
  gap: -0.836,
  bias: 0,
};

/** The score the best unit must reach for the extractive answerer to answer at all. */
export const ANSWER_MIN_SCORE = 5.952;
