import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DIM, FaceIndex } from './index-ivf.ts';

/** Random unit vectors (seeded), the shape of face descriptors without their structure: IVF's hard case. */
function vectors(n: number, seed: number): Float32Array {
  let s = seed;
  const v = new Float32Array(n * DIM);
  for (let i = 0; i < n; i++) {
    let norm = 0;
    for (let j = 0; j < DIM; j++) {
      s = (s * 1664525 + 1013904223) >>> 0;
      v[i * DIM + j] = s / 2 ** 32 - 0.5;
      norm += v[i * DIM + j]! ** 2;
    }
    for (let j = 0; j < DIM; j++) v[i * DIM + j]! /= Math.sqrt(norm);
  }
  return v;
}

/** Row `row` of `v` moved by `r` along the unit direction `dir`. */
function near(v: Float32Array, row: number, dir: Float32Array, r: number): Float32Array {
  return Float32Array.from({ length: DIM }, (_, j) => v[row * DIM + j]! + r * dir[j]!);
}

describe('face index (1:N)', () => {
  const n = 6000;
  const vecs = vectors(n, 3);
  const ids = Array.from({ length: n }, (_, i) => `t${i}`);
  const dirs = vectors(50, 9);

  test('the IVF index finds what the exact scan finds, and nothing beyond the radius', () => {
    const exact = new FaceIndex({ ivfFrom: Number.POSITIVE_INFINITY });
    const ivf = new FaceIndex({ ivfFrom: 1000 });
    exact.build({ ids, vecs });
    ivf.build({ ids, vecs });
    let agree = 0;
    for (let i = 0; i < 50; i++) {
      const q = near(vecs, i * 97, dirs.subarray(i * DIM, (i + 1) * DIM), 0.3);
      const e = exact.search(q, 3, 0.6);
      assert.equal(e[0]?.id, `t${i * 97}`);
      assert.ok(Math.abs(e[0]!.distance - 0.3) < 1e-4);
      if (ivf.search(q, 1, 0.6)[0]?.id === e[0]?.id) agree++;
    }
    assert.ok(agree >= 48, `IVF agreed with the exact scan on ${agree} of 50`);
    // A new face: random unit vectors are ~1.4 apart, far beyond the 0.6 radius.
    const stranger = vectors(1, 77);
    assert.deepEqual(exact.search(stranger, 3, 0.6), []);
    assert.deepEqual(ivf.search(stranger, 3, 0.6), []);
  });

  test('templates added after the build are found; crossing ivfFrom trains the quantiser', () => {
    const index = new FaceIndex({ ivfFrom: 2000 });
    index.build([]);
    for (let i = 0; i < 2500; i++) index.add(ids[i]!, vecs.subarray(i * DIM, (i + 1) * DIM));
    assert.equal(index.size, 2500);
    for (const row of [0, 1999, 2000, 2499]) {
      const hit = index.search(vecs.subarray(row * DIM, (row + 1) * DIM), 1, 0.1);
      assert.equal(hit[0]?.id, `t${row}`);
      assert.equal(hit[0]?.distance, 0);
    }
  });

  test('results come nearest first, at most k of them', () => {
    const index = new FaceIndex();
    const base = vecs.subarray(0, DIM);
    const items = [0.5, 0.1, 0.3, 0.2].map((r, i) => ({
      id: `r${r}`,
      descriptor: near(vecs, 0, dirs.subarray(i * DIM, (i + 1) * DIM), r),
    }));
    index.build(items);
    assert.deepEqual(
      index.search(base, 3).map((h) => h.id),
      ['r0.1', 'r0.2', 'r0.3'],
    );
  });
});
