/**
 * Pooling models' probabilities as `seqdoodle.evaluation.ensembles.pool_probs` does, and top k.
 *
 * Log pool: `p ~ prod_j p_j ** w_j` (each p_j clipped at 1e-12), renormalised; linear pool:
 * `p = sum_j w_j p_j`; weights normalised to sum 1. Arithmetic in float64.
 */

import { DataFormatError } from './errors.js';

export const FLOOR = 1e-12;
export const POOLS = ['log', 'linear'];

/**
 * Pool one drawing's probabilities of several models (columns in one class order).
 *
 * @param {ArrayLike<number>[]} probs one array of k probabilities a model.
 * @param {number[]} weights one weight >= 0 a model, not all 0.
 * @param {'log'|'linear'} [pool='log']
 * @returns {Float64Array} k probabilities summing to 1.
 */
export function poolProbs(probs, weights, pool = 'log') {
  if (!POOLS.includes(pool)) throw new DataFormatError(`unknown pool ${JSON.stringify(pool)}; choose log or linear`);
  if (!probs.length || probs.length !== weights.length || weights.some((w) => !(w >= 0))) {
    throw new DataFormatError(`ensemble weights must be >= 0, one per model, got ${JSON.stringify(weights)}`);
  }
  const total = weights.reduce((a, b) => a + b, 0);
  if (!(total > 0)) throw new DataFormatError('ensemble weights are all 0');
  const k = probs[0].length;
  if (probs.some((p) => p.length !== k)) throw new DataFormatError('models give different numbers of classes');
  const w = weights.map((x) => x / total);
  const out = new Float64Array(k);
  if (pool === 'linear') {
    probs.forEach((p, j) => { for (let c = 0; c < k; c++) out[c] += w[j] * p[c]; });
    return out;
  }
  probs.forEach((p, j) => { for (let c = 0; c < k; c++) out[c] += w[j] * Math.log(Math.max(p[c], FLOOR)); });
  let max = -Infinity;
  for (let c = 0; c < k; c++) max = Math.max(max, out[c]);
  let sum = 0;
  for (let c = 0; c < k; c++) { out[c] = Math.exp(out[c] - max); sum += out[c]; }
  for (let c = 0; c < k; c++) out[c] /= sum;
  return out;
}

/** Probabilities of a model put in the order of `classes` (by name). */
export function reorder(probs, modelClasses, classes) {
  if (modelClasses === classes) return probs;
  const index = new Map(modelClasses.map((c, i) => [c, i]));
  return Float64Array.from(classes, (c) => {
    if (!index.has(c)) throw new DataFormatError(`a model has no class ${JSON.stringify(c)}`);
    return probs[index.get(c)];
  });
}

/** The `k` most probable classes: `[{class, probability}]`, ties in class order. */
export function topK(probs, classes, k = 3) {
  const order = [...classes.keys()].sort((a, b) => probs[b] - probs[a] || a - b);
  return order.slice(0, Math.max(0, k)).map((i) => ({ class: classes[i], probability: Number(probs[i]) }));
}
