import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import sharp from 'sharp';
import { photograph, randomPerson, renderCard } from '../../../test/fixtures/cards/render.ts';
import { decodeImage } from '../image.ts';
import { readQr } from './barcode.ts';
import { applyH, findCard, flatten, homography, type Point, rotate90 } from './geometry.ts';
import { CARD_H, CARD_W } from './layouts.ts';
import { parseCccdQr } from './qr.ts';

describe('card geometry', () => {
  test('the homography maps the four corners exactly', () => {
    const src: Point[] = [
      [10, 20],
      [300, 40],
      [280, 220],
      [30, 200],
    ];
    const dst: Point[] = [
      [0, 0],
      [100, 0],
      [100, 60],
      [0, 60],
    ];
    const H = homography(src, dst);
    src.forEach((p, i) => {
      const [x, y] = applyH(H, p[0], p[1]);
      assert.ok(Math.abs(x - dst[i]![0]) < 1e-6 && Math.abs(y - dst[i]![1]) < 1e-6);
    });
  });

  test('finds the corners of a card photographed at an angle on a table within 1.5 % of its size', async () => {
    for (const seed of [1, 2, 3]) {
      const p = randomPerson(seed, 'cccd_chip');
      const photo = await photograph(await renderCard(p, 'cccd_chip', 'front'), 'clean', seed);
      const img = await decodeImage(photo.image);
      const loc = findCard({ data: img.data, width: img.width, height: img.height, channels: 3 });
      assert.equal(loc.found, true);
      const tol = 0.015 * img.width;
      loc.corners.forEach((c, i) => {
        const d = Math.hypot(c[0] - photo.corners[i]![0], c[1] - photo.corners[i]![1]);
        assert.ok(d < tol, `corner ${i} off by ${d.toFixed(1)} px`);
      });
      // The flattened card decodes its QR: the geometry is good enough to read.
      const flat = flatten(
        { data: img.data, width: img.width, height: img.height, channels: 3 },
        loc.corners,
        CARD_W,
        CARD_H,
      );
      const hit = await readQr(flat);
      assert.ok(hit);
      const parsed = parseCccdQr(hit.text, 'strict');
      assert.ok(parsed.ok);
      assert.equal(parsed.data.id_number, p.id_number);
      assert.ok(hit.center[0] > CARD_W / 2 && hit.center[1] < CARD_H / 2, 'QR top right on an upright front');
    }
  });

  test('a glare spot on the table beside the card is not taken into the card outline', async () => {
    // Eval seed 4711, card 252 (a Căn cước back, moderate, turned 180°): the closing joined the spot
    // to the card's edge and the outline's corner landed 237 px off, so the layout missed the expiry.
    const i = 252;
    const p = randomPerson(4711 * 100003 + i, 'can_cuoc');
    const photo = await photograph(await renderCard(p, 'can_cuoc', 'back'), 'moderate', 4711 * 31 + i);
    const img = await decodeImage(photo.image);
    const loc = findCard({ data: img.data, width: img.width, height: img.height, channels: 3 });
    assert.equal(loc.found, true);
    const turned = photo.corners.map(([x, y]): Point => [img.width - 1 - x, img.height - 1 - y]);
    assert.equal(photo.turns, 2);
    for (const t of turned) {
      const d = Math.min(...loc.corners.map((c) => Math.hypot(c[0] - t[0], c[1] - t[1])));
      assert.ok(d < 0.015 * img.width, `a corner off by ${d.toFixed(1)} px`);
    }
  });

  test('a frame with no card falls back to the whole image, not found', async () => {
    const noise = Buffer.alloc(400 * 300 * 3);
    for (let i = 0; i < noise.length; i++) noise[i] = (i * 7919) % 251;
    const loc = findCard({ data: noise, width: 400, height: 300, channels: 3 });
    assert.equal(loc.found, false);
    const plain = await sharp({ create: { width: 400, height: 300, channels: 3, background: '#777' } })
      .raw()
      .toBuffer();
    assert.equal(findCard({ data: plain, width: 400, height: 300, channels: 3 }).found, false);
  });

  test('rotating four quarter turns gives the image back', () => {
    const img = {
      data: Uint8Array.from({ length: 2 * 3 * 3 }, (_, i) => i),
      width: 3,
      height: 2,
      channels: 3,
    };
    const r1 = rotate90(img, 1);
    assert.equal(r1.width, 2);
    assert.equal(r1.height, 3);
    assert.deepEqual([...rotate90(rotate90(r1, 1), 2).data], [...img.data]);
  });
});
