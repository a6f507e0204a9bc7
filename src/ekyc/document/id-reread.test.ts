import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { photograph, randomPerson, renderCard } from '../../../test/fixtures/cards/render.ts';
import { getOcr } from './ocr.ts';
import { readDocument } from './reader.ts';

const now = new Date('2026-11-24T00:00:00Z');

/** An eval card (seed, index) of a CCCD front at the moderate level. */
async function evalCard(seed: number, i: number) {
  const p = randomPerson(seed * 100003 + i, 'cccd');
  const photo = await photograph(await renderCard(p, 'cccd', 'front'), 'moderate', seed * 31 + i);
  return { p, r: await readDocument({ front: photo.image, now }) };
}

describe('ID numbers read again when they cannot be right', () => {
  after(async () => (await getOcr()).terminate());

  test('glare over the first digits: the impossible first read (035818223251) is replaced by the reading that validates', async () => {
    const { p, r } = await evalCard(7, 202);
    assert.equal(p.id_number, '038182232510');
    assert.equal(r.fields.id_number?.value, p.id_number);
  });

  test('an unsure read (last digit 8 read as 5) is outvoted by the other readings', async () => {
    const { p, r } = await evalCard(13, 298);
    assert.equal(r.fields.id_number?.value, p.id_number);
  });
});
