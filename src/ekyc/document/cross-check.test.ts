import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { photograph, randomPerson, renderCard } from '../../../test/fixtures/cards/render.ts';
import { getOcr } from './ocr.ts';
import { readDocument } from './reader.ts';

const now = new Date('2026-11-24T00:00:00Z');

describe('QR against the printed card', () => {
  after(async () => (await getOcr()).terminate());

  test('the printed name is still read when the QR gives it: a genuine card passes, a swapped QR fails', async () => {
    const p = randomPerson(5100, 'cccd_chip');
    const other = randomPerson(5101, 'cccd_chip');
    assert.notEqual(p.full_name, other.full_name);
    const check = async (card: Buffer) => {
      const r = await readDocument({ front: (await photograph(card, 'moderate', 71)).image, now });
      return r.checks.find((c) => c.code === 'QR_MATCHES_OCR');
    };
    assert.equal((await check(await renderCard(p, 'cccd_chip', 'front')))?.status, 'pass');
    const forged = await check(await renderCard(p, 'cccd_chip', 'front', other));
    assert.equal(forged?.status, 'fail');
    assert.match(forged?.detail ?? '', /full_name/);
  });
});
