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

  test('a name whose first letters glare hid (BÙI read as "UI", which parses) is read again', async () => {
    const { p, r } = await evalCard(13, 274, 'cccd');
    assert.equal(p.full_name, 'BÙI DIỆU CHI');
    assert.equal(r.fields.full_name?.value, p.full_name);
  });

  test('a place whose first digits glare hid ("105 Điện Biên Phủ" read "5 Điện Biên Phủ") is read again', async () => {
    const { p, r } = await evalCard(7, 106, 'cccd');
    assert.equal(r.fields.place_of_residence?.value, p.place_of_residence);
  });

  test('a given name read unsurely (DUNG read DỤNG at word confidence 0.32, both ways) is null, not a guessed tone mark', async () => {
    const { p, r } = await evalCard(4242, 229, 'cmnd');
    assert.equal(p.full_name, 'PHAN THU DUNG');
    assert.equal(r.fields.full_name?.value, null);
    assert.match(r.fields.full_name?.reason ?? '', /unsurely/);
  });

  test('a given name read with a wrong mark at full confidence (HỒNG read HÔNG at 0.93) is no name: the marks are settled', async () => {
    const { p, r } = await evalCard(31337, 178, 'cccd');
    assert.equal(p.full_name, 'DƯƠNG HỒNG LINH');
    assert.equal(r.fields.full_name?.value, p.full_name);
    // DUNG read DỤNG at word confidence 0.73: read again after CLAHE, which says DUNG.
    const dung = await evalCard(31337, 181, 'cmnd');
    assert.equal(dung.p.full_name, 'ĐINH THỊ DUNG');
    assert.equal(dung.r.fields.full_name?.value, dung.p.full_name);
  });

  test('junk read off the box edge after a gap ("BẢO      ;") is no gap inside the name', async () => {
    // NGUYỄN QUỐC BẢO read as NGUYỄN QUỐC BA, then after CLAHE as "NGUYÊN QUỐC BẢO      ;", which the
    // MRZ confirms: the gap rule threw that reading away and the wrong first one stood.
    const { p, r } = await evalCard(314, 159, 'passport');
    assert.equal(p.full_name, 'NGUYỄN QUỐC BẢO');
    assert.equal(r.fields.full_name?.value, p.full_name);
  });

  test('a printed name read the same twice stands against an MRZ name misread (THANH<QUAN read THANI)', async () => {
    const { p, r } = await evalCard(4242, 207, 'passport');
    assert.equal(r.fields.full_name?.value, p.full_name);
    assert.equal(r.checks.find((c) => c.code === 'MRZ_MATCHES_FIELDS')?.status, 'fail');
    // Read again after CLAHE as VÕ DIỆU NGỌC ƠANH: a mark apart, the same letters against the MRZ's.
    const marks = await evalCard(2024, 63, 'passport');
    assert.equal(marks.r.fields.full_name?.value, marks.p.full_name);
  });

  test('a family name OCR lost comes back from the MRZ surname (PHẠM)', async () => {
    const { p, r } = await evalCard(21, 135, 'passport');
    assert.equal(r.fields.full_name?.value, p.full_name);
  });
});
