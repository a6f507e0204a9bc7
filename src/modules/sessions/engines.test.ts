import assert from 'node:assert/strict';
import { test } from 'node:test';
import sharp from 'sharp';
import type { Db } from '../../db/client.ts';
import { fixedClock } from '../../lib/clock.ts';
import type { Envelope } from '../../lib/crypto/envelope.ts';
import { createEngines } from './engines.ts';

test('the card portrait is cropped where the reader boxed it, also in a photo larger than the reader works at', async () => {
  // A 3200×2000 phone photo, white, with the printed portrait as a red block far from the origin.
  const box: [number, number, number, number] = [2400, 1200, 400, 500];
  const photo = await sharp({
    create: { width: 3200, height: 2000, channels: 3, background: '#ffffff' },
  })
    .composite([
      {
        input: await sharp({
          create: { width: box[2], height: box[3], channels: 3, background: '#ff0000' },
        })
          .png()
          .toBuffer(),
        left: box[0],
        top: box[1],
      },
    ])
    .jpeg()
    .toBuffer();
  const engines = createEngines({
    db: {} as Db,
    clock: fixedClock('2026-11-24T00:00:00Z'),
    envelope: {} as Envelope,
  });
  const crop = await engines.face.cropPortrait(photo, box);
  const { data, info } = await sharp(crop).raw().toBuffer({ resolveWithObject: true });
  // The box plus its margin (25 % each side across, 20 % down), clipped at the photo's edge.
  assert.deepEqual([info.width, info.height], [600, 700]);
  const at = (x: number, y: number) => [
    ...data.subarray((y * info.width + x) * 3, (y * info.width + x) * 3 + 3),
  ];
  const [r, g, b] = at(300, 350) as [number, number, number];
  assert.ok(r > 200 && g < 60 && b < 60, `the crop's centre is the portrait, got ${r},${g},${b}`);
  const [r0, g0, b0] = at(10, 10) as [number, number, number];
  assert.ok(r0 > 200 && g0 > 200 && b0 > 200, 'the margin is the card around it');
});
