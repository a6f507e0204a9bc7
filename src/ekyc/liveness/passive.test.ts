import assert from 'node:assert/strict';
import { test } from 'node:test';
import sharp from 'sharp';
import { faceFile } from '../../../test/fixtures/faces/data.ts';
import { filmedOffScreen } from '../../../test/fixtures/faces/render.ts';
import { decodeImage } from '../image.ts';
import { frozenPairs, PASSIVE_LIMITS, screenMoire } from './passive.ts';

// A face photo as a 640×480 camera frame, and the box of its face (found once by the detector).
async function frame() {
  const jpeg = await sharp(faceFile('face_recognition_examples/knn_examples/train/obama/obama.jpg'))
    .resize(640, 480, { fit: 'contain', background: '#777' })
    .jpeg({ quality: 85 })
    .toBuffer();
  return { jpeg, box: [237, 16, 197, 196] as const };
}

test('a face filmed off a screen shows the screen’s grid in its spectrum; the face itself does not', async () => {
  const { jpeg, box } = await frame();
  const own = screenMoire([{ img: await decodeImage(jpeg, { maxSide: 640 }), box }]);
  assert.ok(own && own.ratio < PASSIVE_LIMITS.moireWarn, `face alone: ${own?.ratio}`);
  for (const screen of [
    { pitch: 1.7, angle: 0.05, depth: 0.1 },
    { pitch: 3.3, angle: -0.12, depth: 0.1 },
  ]) {
    const [filmed] = await filmedOffScreen([{ image: jpeg, t: 0 }], screen);
    const peak = screenMoire([{ img: await decodeImage(filmed!.image, { maxSide: 640 }), box }]);
    assert.ok(peak && peak.ratio > PASSIVE_LIMITS.moireWarn, `${JSON.stringify(screen)}: ${peak?.ratio}`);
  }
  // A face too small for a 32-pixel window measures nothing rather than guessing.
  assert.equal(
    screenMoire([{ img: await decodeImage(jpeg, { maxSide: 640 }), box: [300, 200, 40, 50] }]),
    null,
  );
});

test('consecutive frames that are the same picture are counted; fresh sensor noise is not', async () => {
  const { jpeg } = await frame();
  const img = await decodeImage(jpeg, { maxSide: 640 });
  const noisy = {
    ...img,
    data: img.data.map((v, i) => Math.max(0, Math.min(255, v + ((i * 7919) % 7) - 3))),
  };
  assert.equal(frozenPairs([img, img, noisy, img]), 1);
  assert.equal(frozenPairs([img, noisy]), 0);
});
