// The recognizer's pure parts: model inputs from the manifest's preprocess entries, the pool,
// top k. (onnxruntime-web and the worker are driven in Chromium by tests/web/.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { looksRaw, simplified, modelInput } from '../src/preprocess.js';
import { poolProbs, reorder, topK } from '../src/pool.js';
import { renderBitmap, drawingToStroke3, renderChannels, simplifyStrokes, DataFormatError } from '../src/index.js';

const SIMPLE = [[[0, 100, 255], [0, 40, 200]], [[30, 30], [250, 10]]];
const RAW = [[[10.5, 300, 420], [7, 80, 91], [0, 15, 40]], [[50, 60], [200, 100], [90, 120]]];

test('raw or simplified is decided as strokes_look_raw does', () => {
  assert.equal(looksRaw(SIMPLE), false);
  assert.equal(looksRaw(RAW), true);
  assert.equal(looksRaw([[[0, 256], [0, 1]]]), true);
  assert.equal(looksRaw([[[0, 2.5], [0, 1]]]), true);
  assert.deepEqual(simplified(RAW), simplifyStrokes(RAW));
  assert.deepEqual(simplified(SIMPLE), SIMPLE);
  assert.deepEqual(simplified(SIMPLE, 'raw'), simplifyStrokes(SIMPLE));
  assert.throws(() => simplified(SIMPLE, 'svg'), DataFormatError);
});

test('model inputs follow the preprocess entry', () => {
  const b = modelInput(SIMPLE, { type: 'bitmap', size: 28 });
  assert.deepEqual(b.dims, [1, 28, 28, 1]);
  assert.deepEqual(Array.from(b.data), Array.from(renderBitmap(SIMPLE, 28)));
  const c = modelInput(SIMPLE, { type: 'channels', size: 28, channels: ['ink', 'order', 'index'] });
  assert.deepEqual(c.dims, [1, 28, 28, 3]);
  assert.deepEqual(Array.from(c.data), Array.from(renderChannels(SIMPLE, 28, ['ink', 'order', 'index'])));
  const options = { type: 'stroke3', normalize: 'aspect', flag: 'end', max_len: 3, truncate: 'uniform', time: false, scale: [0.5, 0.25], scale_in_model: true };
  const s = modelInput(SIMPLE, options);
  const expected = drawingToStroke3(SIMPLE, { maxLen: 3, truncate: 'uniform' });
  assert.deepEqual(s.dims, [1, 3, 3]);
  assert.deepEqual(s.data, expected.data);
  const scaled = modelInput(SIMPLE, { ...options, scale_in_model: false });
  assert.equal(scaled.data[0], Math.fround(expected.data[0] / 0.5));
  assert.equal(scaled.data[4], Math.fround(expected.data[4] / 0.25));
  assert.throws(() => modelInput(SIMPLE, { type: 'svg' }), /unknown model input type/);
  assert.throws(() => modelInput(SIMPLE, { ...options, time: true }), DataFormatError);
});

test('the log and linear pools match pool_probs', () => {
  // pool_probs([[[0.9, 0.1]], [[0.5, 0.5]]], [1, 1]) == [[0.75, 0.25]]
  const p = poolProbs([[0.9, 0.1], [0.5, 0.5]], [1, 1]);
  assert.ok(Math.abs(p[0] - 0.75) < 1e-12 && Math.abs(p[1] - 0.25) < 1e-12);
  const lin = poolProbs([[0.9, 0.1], [0.5, 0.5]], [3, 1], 'linear');
  assert.ok(Math.abs(lin[0] - 0.8) < 1e-12);
  const floor = poolProbs([[1, 0], [0.5, 0.5]], [1, 1]);
  assert.ok(floor[1] > 0 && floor[1] < 1e-5);
  assert.throws(() => poolProbs([[1, 0]], [1], 'max'), DataFormatError);
  assert.throws(() => poolProbs([[1, 0], [0, 1]], [1, -1]), DataFormatError);
  assert.throws(() => poolProbs([[1, 0], [0, 1]], [0, 0]), DataFormatError);
});

test('reorder by class name and top k', () => {
  assert.deepEqual(Array.from(reorder([0.1, 0.7, 0.2], ['a', 'b', 'c'], ['c', 'a', 'b'])), [0.2, 0.1, 0.7]);
  assert.throws(() => reorder([0.5, 0.5], ['a', 'b'], ['a', 'z']), DataFormatError);
  assert.deepEqual(topK([0.1, 0.7, 0.1, 0.1], ['a', 'b', 'c', 'd'], 2),
    [{ class: 'b', probability: 0.7 }, { class: 'a', probability: 0.1 }]);
});
