import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderBitmap } from '../src/index.js';
import { fixture, fromBase64 } from './helpers.js';

test('2,000 real simplified drawings render to the bytes of cairo', () => {
  const { items, size } = fixture('render.json');
  assert.equal(items.length, 2000);
  assert.ok(new Set(items.map((i) => i.class)).size >= 300);
  let identical = 0;
  let absSum = 0;
  for (const it of items) {
    const want = fromBase64(it.bitmap);
    const got = renderBitmap(it.drawing, size);
    let d = 0;
    for (let i = 0; i < want.length; i++) d += Math.abs(got[i] - want[i]);
    absSum += d;
    if (d === 0) identical++;
  }
  const meanAbs = absSum / (items.length * size * size);
  assert.ok(identical / items.length >= 0.99, `identical ${identical}/${items.length}`);
  assert.ok(meanAbs <= 0.5, `mean abs diff ${meanAbs}`);
  assert.equal(identical, items.length);
});

test('other sizes give images of that size', () => {
  const img = renderBitmap([[[0, 255], [0, 255]]], 64);
  assert.equal(img.length, 64 * 64);
  assert.equal(Math.max(...img), 255);
});
