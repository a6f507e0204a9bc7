import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CONTEXT, canonicalFrame, padInto, RIGID_FACE } from './geometry.ts';

test('padInto repeats each edge pixel outwards, corners included', () => {
  // 3×2 image, pixel (x, y) = [10y + x, 100 + 10y + x, 200 + 10y + x].
  const w = 3;
  const h = 2;
  const data = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) data.set([10 * y + x, 100 + 10 * y + x, 200 + 10 * y + x], (y * w + x) * 3);
  const pad = 2;
  const out = new Float32Array((w + 2 * pad) * (h + 2 * pad) * 3);
  const size = padInto(out, { data, width: w, height: h }, pad);
  const padded = { data: out, ...size };
  assert.equal(padded.width, w + 2 * pad);
  assert.equal(padded.height, h + 2 * pad);
  for (let y = 0; y < padded.height; y++)
    for (let x = 0; x < padded.width; x++) {
      const sx = Math.min(w - 1, Math.max(0, x - pad));
      const sy = Math.min(h - 1, Math.max(0, y - pad));
      const o = (y * padded.width + x) * 3;
      assert.deepEqual(
        [...padded.data.subarray(o, o + 3)],
        [10 * sy + sx, 100 + 10 * sy + sx, 200 + 10 * sy + sx],
        `(${x}, ${y})`,
      );
    }
});

test('canonicalFrame recovers the similarity that placed the rigid face, whatever the mouth does', () => {
  const [cx, cy, scale, angle] = [320, 240, 80, 0.3];
  // Every other point (mouth, jaw, …) far off: they are not in the fit.
  const mesh = Array.from({ length: 468 }, () => [cx, cy + 500, 0]);
  for (const [i, x, y] of RIGID_FACE) {
    mesh[i] = [
      cx + scale * (x * Math.cos(angle) - y * Math.sin(angle)),
      cy + scale * (x * Math.sin(angle) + y * Math.cos(angle)),
      0,
    ];
  }
  const frame = canonicalFrame(mesh);
  assert.ok(
    Math.abs(frame.center[0] - cx) < 1e-9 && Math.abs(frame.center[1] - cy) < 1e-9,
    `${frame.center}`,
  );
  assert.ok(Math.abs(frame.angle - angle) < 1e-12);
  assert.ok(Math.abs(frame.side - (scale / 0.45) * CONTEXT) < 1e-9);
});
