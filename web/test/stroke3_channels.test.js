import { test } from 'node:test';
import assert from 'node:assert/strict';
import { drawingToStroke3, renderBitmap, renderChannels } from '../src/index.js';
import { fixture, fromBase64 } from './helpers.js';

test('stroke-3 docstring example', () => {
  const { data, shape } = drawingToStroke3([[[0, 10, 10], [0, 0, 5]], [[0], [10]]]);
  assert.deepEqual(shape, [4, 3]);
  assert.deepEqual([...data], [0, 0, 0, 1, 0, 0, 0, 0.5, 1, -1, 0.5, 1]);
});

test('stroke-3 of real drawings under every option equals Python (float32 exact)', () => {
  const { items } = fixture('stroke3.json');
  let cases = 0;
  for (const it of items) {
    for (const c of it.cases) {
      const o = c.options;
      const got = drawingToStroke3(it.drawing, {
        normalize: o.normalize, flag: o.flag, maxLen: o.max_len ?? null, truncate: o.truncate, time: o.time,
      });
      assert.deepEqual(got.shape, c.shape, `${it.class} ${JSON.stringify(o)}`);
      assert.deepEqual([...got.data], c.values.map(Math.fround), `${it.class} ${JSON.stringify(o)}`);
      cases++;
    }
  }
  assert.ok(cases > 200);
});

test('channel renderings of real drawings equal Python (cairo) byte for byte', () => {
  const { items, size, channels } = fixture('channels.json');
  for (const it of items) {
    assert.deepEqual(renderChannels(it.drawing, size, channels), fromBase64(it.image), it.class);
  }
});

test('the ink channel is the bitmap', () => {
  const drawing = [[[0, 100, 255], [0, 200, 255]], [[50], [50]]];
  assert.deepEqual(renderChannels(drawing, 28, ['ink']), renderBitmap(drawing));
});
