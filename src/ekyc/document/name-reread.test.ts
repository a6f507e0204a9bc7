import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { photograph, randomPerson, renderCard } from '../../../test/fixtures/cards/render.ts';
import type { DocType } from './layouts.ts';
import { getOcr } from './ocr.ts';
import { readDocument } from './reader.ts';

const now = new Date('2026-11-24T00:00:00Z');

/** An eval card (seed, index) of a front at the moderate level. */
async function evalCard(seed: number, i: number, type: DocType) {
  const p = randomPerson(seed * 100003 + i, type);
  const photo = await photograph(await renderCard(p, type, 'front'), 'moderate', seed * 31 + i);
  return { p, r: await readDocument({ front: photo.image, now }) };
}

describe('names read again when they cannot be right', () => {
  after(async () => (await getOcr()).terminate());

  test('HUỲNH read as "H H" (a word without a vowel) is read again', async () => {
    const { p, r } = await evalCard(7, 34, 'cccd');
    assert.equal(p.full_name, 'HUỲNH TRỌNG LONG NAM');
    assert.equal(r.fields.full_name?.value, p.full_name);
  });

  test('a name read around a gap glare left ("PHA     ÔNG HÀ") is read again', async () => {
    const { p, r } = await evalCard(42, 277, 'cmnd');
    assert.equal(r.fields.full_name?.value, p.full_name);
  });

  test('a short word tesseract returns nothing for when cropped close (sex "Nam") reads on the re-read', async () => {
    const { p, r } = await evalCard(13, 11, 'can_cuoc');
    assert.equal(r.fields.sex?.value, p.sex);
  });

  test('a passport name the MRZ contradicts is read again (HẠNH read as IANH)', async () => {
    const { p, r } = await evalCard(7, 279, 'passport');
    assert.equal(r.fields.full_name?.value, p.full_name);
  });

  test('a family name OCR lost comes back from the MRZ surname (PHẠM)', async () => {
    const { p, r } = await evalCard(21, 135, 'passport');
    assert.equal(r.fields.full_name?.value, p.full_name);
  });
});
