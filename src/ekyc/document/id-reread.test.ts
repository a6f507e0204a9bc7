import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { photograph, randomPerson, renderCard } from '../../../test/fixtures/cards/render.ts';
import type { DocType } from './layouts.ts';
import { getOcr } from './ocr.ts';
import { readDocument } from './reader.ts';

const now = new Date('2026-11-24T00:00:00Z');

/** An eval card (seed, index) of a front at the moderate level. */
async function evalCard(seed: number, i: number, type: DocType = 'cccd') {
  const p = randomPerson(seed * 100003 + i, type);
  const photo = await photograph(await renderCard(p, type, 'front'), 'moderate', seed * 31 + i);
  return { p, r: await readDocument({ front: photo.image, now }) };
}

describe('ID numbers read again when they cannot be right', () => {
  after(async () => (await getOcr()).terminate());

  test('glare over the first digits: the impossible first read (035818223251) is replaced by the reading that validates', async () => {
    const { p, r } = await evalCard(7, 202);
    assert.equal(p.id_number, '038182232510');
    assert.equal(r.fields.id_number?.value, p.id_number);
  });

  test("a chip CCCD back's MRZ whose check digits fail is read again after CLAHE", async () => {
    // Eval seed 314, card 297: the composite failed on the first reading, so the ID was null.
    const i = 297;
    const p = randomPerson(314 * 100003 + i, 'cccd_chip');
    const photo = await photograph(await renderCard(p, 'cccd_chip', 'back'), 'moderate', 314 * 31 + i);
    const r = await readDocument({ front: photo.image, now });
    assert.equal(r.fields.id_number?.value, p.id_number);
    assert.equal(r.fields.date_of_birth?.value, p.date_of_birth);
  });

  test('a second MRZ reading that passes the composite digit but not the ID check does not replace the first', async () => {
    // The documents bench's pair 6: read again, the back's ID shifted (041993892977 for document number
    // 199389297) yet passed the composite digit, and the pair was refused as two different cards.
    const p = randomPerson(9005, 'cccd_chip');
    const front = (await photograph(await renderCard(p, 'cccd_chip', 'front'), 'moderate', 505)).image;
    const back = (await photograph(await renderCard(p, 'cccd_chip', 'back'), 'moderate', 605)).image;
    const r = await readDocument({ front, back, now });
    assert.equal(r.fields.id_number?.value, p.id_number);
  });

  test('glare over the start of an MRZ line (no MRZ lines at all on the first reading) is read again', async () => {
    // Eval seed 2718, card 345: the back was typed as a CCCD without chip and nothing was read.
    const i = 345;
    const p = randomPerson(2718 * 100003 + i, 'cccd_chip');
    const photo = await photograph(await renderCard(p, 'cccd_chip', 'back'), 'moderate', 2718 * 31 + i);
    const r = await readDocument({ front: photo.image, now });
    assert.equal(r.document.type, 'cccd_chip');
    assert.equal(r.fields.id_number?.value, p.id_number);
  });

  test('a chip CCCD back sent alone whose MRZ second line glare cut short still gives the ID by its first line', async () => {
    // Eval seed 606, card 321: the expiry lost four digits, and the whole MRZ was dropped, so the
    // back was taken for a CCCD without chip and had no ID.
    const i = 321;
    const p = randomPerson(606 * 100003 + i, 'cccd_chip');
    const photo = await photograph(await renderCard(p, 'cccd_chip', 'back'), 'moderate', 606 * 31 + i);
    const r = await readDocument({ front: photo.image, now });
    assert.equal(r.document.type, 'cccd_chip');
    assert.equal(r.fields.id_number?.value, p.id_number);
    // Seed 2024, card 177: two of the ID's digits dropped from the optional field; the verified
    // document number and the composite give it back.
    const d = randomPerson(2024 * 100003 + 177, 'cccd_chip');
    const dropped = await photograph(await renderCard(d, 'cccd_chip', 'back'), 'moderate', 2024 * 31 + 177);
    const e = await readDocument({ front: dropped.image, now });
    assert.equal(e.fields.id_number?.value, d.id_number);
    // Card 201: three characters of the first line lost, the ID is null and says why.
    const q = randomPerson(606 * 100003 + 201, 'cccd_chip');
    const cut = await photograph(await renderCard(q, 'cccd_chip', 'back'), 'moderate', 606 * 31 + 201);
    const c = await readDocument({ front: cut.image, now });
    assert.equal(c.fields.id_number?.value, null);
    assert.match(c.fields.id_number?.reason ?? '', /MRZ is misread/);
  });

  test('a sure misread (8 read as 5 with confidence 0.96) that the CLAHE reading contradicts is null, not the misread', async () => {
    const { p, r } = await evalCard(7, 181, 'cmnd');
    assert.equal(p.cmnd_number, '298000299');
    assert.equal(r.fields.id_number?.value, null);
    assert.match(r.fields.id_number?.reason ?? '', /disagree/);
  });

  test("the English reader's 8-for-3 alone does not outvote the vie readings into a null", async () => {
    // Glare over the first digits; the vie reader reads 092194784898 after CLAHE, the English one 092194734898.
    const { p, r } = await evalCard(9001, 250);
    assert.equal(r.fields.id_number?.value, p.id_number);
    const cmnd = await evalCard(4242, 133, 'cmnd');
    assert.equal(cmnd.r.fields.id_number?.value, cmnd.p.cmnd_number);
  });

  test('a digit glare washed out, that every reading which sees it takes for another (3 read as 5), is null, not the misread', async () => {
    // Eval seed 9001, card 227 (a Căn cước front, no QR on that side): the plain readings lost
    // "30" under the glare, vie and eng after CLAHE both read 066176150799, consistent with the
    // birth date and sex, so the vote returned it.
    const { p, r } = await evalCard(9001, 227, 'can_cuoc');
    assert.equal(p.id_number, '066176130799');
    assert.equal(r.fields.id_number?.value, null);
    assert.match(r.fields.id_number?.reason ?? '', /glare/);
    // Digits as faint under glare that the glare-flattened reading confirms are kept.
    for (const i of [155, 323]) {
      const kept = await evalCard(9001, i, 'can_cuoc');
      assert.equal(kept.r.fields.id_number?.value, kept.p.id_number);
    }
  });

  test('an unsure read (last digit 8 read as 5) is outvoted by the other readings', async () => {
    const { p, r } = await evalCard(13, 298);
    assert.equal(r.fields.id_number?.value, p.id_number);
  });
});
