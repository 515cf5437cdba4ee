import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { simplifyStrokes, roundHalfEven } from '../src/index.js';
import { fixture, hasShared, SHARED } from './helpers.js';

test('docstring example', () => {
  assert.deepEqual(simplifyStrokes([[[100, 150, 300], [200, 201, 250]], [[120], [240]]]),
    [[[0, 64, 255], [0, 1, 64]], [[26, 26], [51, 51]]]);
});

test('round half to even as numpy', () => {
  assert.deepEqual([0.5, 1.5, 2.5, -0.5, 2.4999, 2.6, -1.5].map(roundHalfEven), [0, 2, 2, 0, 2, 3, -2]);
});

test('one raw drawing of every class equals the Python simplification', () => {
  const { items } = fixture('simplify_sample.json');
  assert.equal(items.length, 345);
  for (const it of items) assert.deepEqual(simplifyStrokes(it.raw), it.simplified, it.class);
});

test('every raw drawing in ../shared equals the Python simplification', { skip: !hasShared && 'no ../shared/quickdraw' }, () => {
  const { files } = fixture('simplify_hashes.json');
  let same = 0;
  let total = 0;
  const differ = [];
  for (const [file, hashes] of Object.entries(files)) {
    const lines = readFileSync(path.join(SHARED, 'raw', file), 'utf8').split('\n').filter(Boolean);
    assert.equal(lines.length, hashes.length, `${file}: the data changed; remake the fixtures`);
    lines.forEach((line, i) => {
      const out = JSON.stringify(simplifyStrokes(JSON.parse(line).drawing));
      const digest = createHash('sha256').update(out).digest('hex').slice(0, 16);
      total++;
      if (digest === hashes[i]) same++;
      else differ.push(`${file}:${i}`);
    });
  }
  assert.equal(Object.keys(files).length, 345);
  // the acceptance bound is 99.9%; the port is exact, so any difference is worth a look
  assert.ok(same / total >= 0.999, `only ${same}/${total} identical: ${differ.slice(0, 5)}`);
  assert.deepEqual(differ, []);
});
