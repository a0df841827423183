// Written by scripts/train-answer.ts from the docs-qa dev split: do not edit by hand.
import type { FeatureName } from './answer-features';

/** How much each feature of a unit counts (see answer-features.ts). */
export const ANSWER_WEIGHTS: Record<FeatureName, number> = {
  own: 3.362,
  coverage: 5.251,
  kind: 1.855,
  kindMissing: -1.218,
  default: 2.476,
  focus: 0.793,
  value: 0.872,
  entry: 0.281,
  code: -0.571,
  codeAsked: -0.061,
  row: 0.568,
  length: -0.435,
  short: -0.481,
  doc: 0.898,
  title: 1.692,
  pair: -0.244,
  polarity: -0.377,
  echo: 0.247,
  nameMissing: 0,
  bias: 0,
};

/** The score the best unit must reach for the extractive answerer to answer at all. */
export const ANSWER_MIN_SCORE = 6.386;
