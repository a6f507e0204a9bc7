import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import path from 'node:path';
import { test } from 'node:test';
import { type KernelRegistry, replaceWasmConcat } from './models.ts';

const require = createRequire(import.meta.url);

interface T {
  dataSync(): Float32Array;
  shape: number[];
}
interface Tf extends KernelRegistry {
  setBackend(name: string): Promise<boolean>;
  tensor(values: Float32Array, shape: number[]): T;
  concat(xs: T[], axis: number): T;
}

/** Concatenation by index arithmetic: the answer every kernel must give. */
function reference(parts: Array<{ v: Float32Array; shape: number[] }>, axis: number): Float32Array {
  const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
  const outer = size(parts[0]!.shape.slice(0, axis));
  const out: number[] = [];
  for (let b = 0; b < outer; b++) {
    for (const p of parts) {
      const n = size(p.shape.slice(axis));
      for (let k = 0; k < n; k++) out.push(p.v[b * n + k]!);
    }
  }
  return Float32Array.from(out);
}

test('the replacement wasm concat gives the same values as index arithmetic on every axis', async () => {
  const tf = require('@tensorflow/tfjs-core') as Tf;
  const wasm = require('@tensorflow/tfjs-backend-wasm') as { setWasmPaths(p: string): void };
  wasm.setWasmPaths(`${path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm'))}/`);
  replaceWasmConcat(tf);
  assert.equal(await tf.setBackend('wasm'), true);
  let seed = 3;
  const random = (n: number) =>
    Float32Array.from({ length: n }, () => {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
      return seed / 2 ** 32 - 0.5;
    });
  const cases: Array<{ shapes: number[][]; axis: number }> = [
    // face-api's mean planes: three 150×150×1 on the channel axis (the case the kernel is for).
    {
      shapes: [
        [1, 150, 150, 1],
        [1, 150, 150, 1],
        [1, 150, 150, 1],
      ],
      axis: 3,
    },
    {
      shapes: [
        [1, 17, 17, 32],
        [1, 17, 17, 32],
      ],
      axis: 3,
    },
    {
      shapes: [
        [1, 40, 3, 48],
        [1, 40, 5, 48],
      ],
      axis: 2,
    },
    {
      shapes: [
        [900, 2],
        [900, 1],
      ],
      axis: -1,
    },
    {
      shapes: [
        [2, 64, 64, 3],
        [1, 64, 64, 3],
      ],
      axis: 0,
    },
    {
      shapes: [
        [80, 0],
        [80, 3],
      ],
      axis: 1,
    },
  ];
  for (const { shapes, axis } of cases) {
    const parts = shapes.map((shape) => ({ v: random(shape.reduce((a, b) => a * b, 1)), shape }));
    const got = tf.concat(
      parts.map((p) => tf.tensor(p.v, p.shape)),
      axis,
    );
    const rank = shapes[0]!.length;
    const want = reference(parts, axis < 0 ? axis + rank : axis);
    assert.deepEqual(got.dataSync(), want, JSON.stringify(shapes));
  }
});
