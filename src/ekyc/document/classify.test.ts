import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { photograph, randomPerson, renderCard } from '../../../test/fixtures/cards/render.ts';
import { getOcr } from './ocr.ts';
import { readDocument } from './reader.ts';

const now = new Date('2026-11-24T00:00:00Z');

describe('document type', () => {
  after(async () => (await getOcr()).terminate());

  test('a CCCD front whose title reads only "CĂN CƯỚC … DÂN" (glare over CÔNG) is not taken for a Căn cước', async () => {
    // Eval seed 7, card 226: the glare spot sits on the title's middle word.
    const p = randomPerson(7 * 100003 + 226, 'cccd');
    const photo = await photograph(await renderCard(p, 'cccd', 'front'), 'moderate', 7 * 31 + 226);
    const r = await readDocument({ front: photo.image, now });
    assert.equal(r.document.type, 'cccd');
    assert.equal(r.fields.full_name?.value, p.full_name);
  });

  test('a CCCD front whose title reads "CĂN CƯỚC CÔNG" (glare over DÂN) is not taken for a Căn cước', async () => {
    // Eval seed 808, card 202: read with the Căn cước's layout, every field was null or junk.
    const p = randomPerson(808 * 100003 + 202, 'cccd');
    const photo = await photograph(await renderCard(p, 'cccd', 'front'), 'moderate', 808 * 31 + 202);
    const r = await readDocument({ front: photo.image, now });
    assert.equal(r.document.type, 'cccd');
    assert.equal(r.fields.id_number?.value, p.id_number);
  });

  test('a CMND front whose title glare left faint ("GIẤY CHỨN … NH NHÂN DÂN") is recognised after CLAHE', async () => {
    // Eval seed 42, card 301.
    const p = randomPerson(42 * 100003 + 301, 'cmnd');
    const photo = await photograph(await renderCard(p, 'cmnd', 'front'), 'moderate', 42 * 31 + 301);
    const r = await readDocument({ front: photo.image, now });
    assert.equal(r.document.type, 'cmnd');
    assert.equal(r.fields.id_number?.value, p.cmnd_number);
  });

  test('a Căn cước front stays a Căn cước', async () => {
    const p = randomPerson(7 * 100003 + 11, 'can_cuoc');
    const photo = await photograph(await renderCard(p, 'can_cuoc', 'front'), 'moderate', 7 * 31 + 11);
    const r = await readDocument({ front: photo.image, now });
    assert.equal(r.document.type, 'can_cuoc');
  });
});
