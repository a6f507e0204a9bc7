import assert from 'node:assert/strict';
import { test } from 'node:test';
import sharp from 'sharp';
import { AppError } from '../http/errors.ts';
import { decodeImage } from './image.ts';

const code = (fn: () => Promise<unknown>) =>
  fn().then(
    () => 'no error',
    (e: unknown) => (e instanceof AppError ? e.code : `unexpected ${String(e)}`),
  );

const jpeg = (w: number, h: number) =>
  sharp({ create: { width: w, height: h, channels: 3, background: { r: 200, g: 100, b: 50 } } })
    .jpeg()
    .toBuffer();

test('a JPEG decodes to RGB with its size', async () => {
  const img = await decodeImage(await jpeg(120, 80));
  assert.equal(img.width, 120);
  assert.equal(img.height, 80);
  assert.equal(img.data.length, 120 * 80 * 3);
  assert.equal(img.format, 'jpeg');
});

test('EXIF orientation is applied: a portrait photo stored sideways comes out upright', async () => {
  const sideways = await sharp(await jpeg(100, 60))
    .withMetadata({ orientation: 6 })
    .jpeg()
    .toBuffer();
  const img = await decodeImage(sideways);
  assert.equal(img.width, 60);
  assert.equal(img.height, 100);
});

test('bad images are refused with their own codes', async () => {
  const good = await jpeg(100, 100);
  assert.equal(await code(() => decodeImage(Buffer.alloc(0))), 'ERR_IMAGE_EMPTY');
  assert.equal(await code(() => decodeImage(Buffer.from('%PDF-1.7 not an image'))), 'ERR_IMAGE_UNSUPPORTED');
  assert.equal(await code(() => decodeImage(good.subarray(0, good.length / 2))), 'ERR_IMAGE_CORRUPT');
  const tiny = await jpeg(10, 10);
  assert.equal(await code(() => decodeImage(tiny)), 'ERR_IMAGE_TOO_SMALL');
  assert.equal(await code(() => decodeImage(Buffer.from('GIF89a......'))), 'ERR_IMAGE_ANIMATED');
});

test('a decompression bomb is refused from its header, before decoding', async () => {
  const bomb = await sharp({
    create: { width: 20000, height: 20000, channels: 3, background: { r: 0, g: 0, b: 0 } },
    limitInputPixels: false,
  })
    .png({ compressionLevel: 9 })
    .toBuffer();
  const before = process.memoryUsage().rss;
  assert.equal(await code(() => decodeImage(bomb)), 'ERR_IMAGE_TOO_LARGE');
  assert.ok(process.memoryUsage().rss - before < 200 * 1024 * 1024);
});
