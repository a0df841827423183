/**
 * The fitting half of train-answer.ts: what one asked question holds (its candidate units, their
 * features and which are right), the conditional logit fitted over them, and the answer threshold
 * that keeps a share of the unanswerable questions refused.
 */
import { FEATURES, type FeatureName, type Features } from '../lambdas/core/answer-features';
import { DEFAULT_ANSWER } from '../lambdas/core/compose';
import type { GeneratorInput } from '../lambdas/ports';

export interface Asked {
  input: GeneratorInput;
  /** the features of every candidate unit, and whether it is a right answer */
  units: { f: Features; right: boolean; coverage: number }[];
  /** an answerable question asked of its own customer */
  answerable: boolean;
  /** the question names a rare word the project lacks: the answerer declines it whatever its units */
  vetoed: boolean;
  /** the customer whose project was asked */
  customer: string;
  /** what kind of question this is for that customer */
  kind: 'answerable' | 'near_miss' | 'off_topic' | 'other_customer';
}

export const dot = (w: Record<FeatureName, number>, f: Features) => FEATURES.reduce((s, n) => s + w[n] * f[n], 0);

/** Conditional logit by gradient descent: maximizes the softmax mass of each question's right units. */
export function fitWeights(train: Asked[], epochs = 400, rate = 0.5, l2 = 0.01): Record<FeatureName, number> {
  const n = FEATURES.length;
  // from zero, not from the weights in use (learned on all of dev): a held-out customer stays unseen
  const w = new Float64Array(n);
  const usable = train
    .filter((a) => a.units.some((u) => u.right))
    .map((a) => a.units.map((u) => ({ x: Float64Array.from(FEATURES, (f) => u.f[f]), right: u.right })));
  for (let e = 0; e < epochs; e++) {
    const grad = new Float64Array(n);
    for (const units of usable) {
      const scores = units.map((u) => {
        let s = 0;
        for (let k = 0; k < n; k++) s += w[k] * u.x[k];
        return s;
      });
      const max = Math.max(...scores);
      const exp = scores.map((s) => Math.exp(s - max));
      const all = exp.reduce((x, y) => x + y, 0);
      const pos = exp.reduce((x, y, i) => x + (units[i].right ? y : 0), 0);
      for (const [i, u] of units.entries()) {
        const d = (u.right ? exp[i] / pos : 0) - exp[i] / all;
        if (d !== 0) for (let k = 0; k < n; k++) grad[k] += d * u.x[k];
      }
    }
    for (let k = 0; k < n; k++) w[k] += rate * (grad[k] / usable.length - l2 * w[k]);
  }
  return Object.fromEntries(FEATURES.map((f, k) => [f, w[k]])) as Record<FeatureName, number>;
}

export const topRight = (w: Record<FeatureName, number>, a: Asked) => {
  let best = -Infinity;
  let right = false;
  for (const u of a.units) {
    const s = dot(w, u.f);
    if (s > best) {
      best = s;
      right = u.right;
    }
  }
  return right;
};

/** The lowest best-unit score that keeps the share `refuse` of `unanswerable` questions refused (those never asked count as refused). */
export function thresholdFor(
  w: Record<FeatureName, number>,
  asked: Asked[],
  unanswerable: number,
  refuse: number,
): number {
  const negatives = asked
    .filter((a) => !a.answerable && !a.vetoed)
    .map((a) => bestOf(w, a))
    .filter((b) => b.coverage >= DEFAULT_ANSWER.minCoverage)
    .map((b) => b.s)
    .sort((x, y) => y - x);
  const allowed = Math.floor(unanswerable * (1 - refuse));
  return negatives.length > allowed ? negatives[allowed] + 1e-6 : Math.min(...negatives, 0);
}

export function bestOf(w: Record<FeatureName, number>, a: Asked) {
  let top = { s: -Number.POSITIVE_INFINITY, coverage: 0, right: false };
  for (const u of a.units) {
    const s = dot(w, u.f);
    if (s > top.s) top = { s, coverage: u.coverage, right: u.right };
  }
  return top;
}
