import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import {
  onScreen,
  photocopy,
  photograph,
  randomPerson,
  renderCard,
} from '../../../test/fixtures/cards/render.ts';
import { getOcr } from './ocr.ts';
import { readDocument } from './reader.ts';

const now = new Date('2026-11-24T00:00:00Z');

async function signals(card: Buffer, seed: number) {
  const photo = await photograph(card, 'moderate', seed);
  const r = await readDocument({ front: photo.image, now });
  const status = (code: string) => r.checks.find((c) => c.code === code)?.status;
  return {
    photocopy: status('LIKELY_PHOTOCOPY'),
    screen: status('LIKELY_SCREEN_RECAPTURE'),
    quality: r.quality,
  };
}

describe('photocopy and screen-recapture signals', () => {
  after(async () => (await getOcr()).terminate());

  for (const [k, type] of (['cccd_chip', 'can_cuoc', 'cmnd'] as const).entries()) {
    test(`${type}: a colour photo warns of neither, a greyscale copy of a photocopy, a screen of a recapture`, async () => {
      const card = await renderCard(randomPerson(4100 + k, type), type, 'front');
      const colour = await signals(card, 60 + k);
      assert.deepEqual([colour.photocopy, colour.screen], ['pass', 'pass'], JSON.stringify(colour.quality));
      const copy = await signals(await photocopy(card), 60 + k);
      assert.deepEqual([copy.photocopy, copy.screen], ['warn', 'pass'], JSON.stringify(copy.quality));
      const screen = await signals(await onScreen(card), 60 + k);
      assert.deepEqual([screen.photocopy, screen.screen], ['pass', 'warn'], JSON.stringify(screen.quality));
    });
  }
});
