import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, describe, test } from 'node:test';
import { withoutFillerTail } from './mrz.ts';
import { getOcr } from './ocr.ts';
import { readDocument } from './reader.ts';
import { sharedDataPath } from './shared-data.ts';

const now = new Date('2026-11-24T00:00:00Z');

describe("another country's passport", () => {
  after(async () => (await getOcr()).terminate());

  test('the ICAO specimen passport is read from its MRZ: a passport, its fields, expired', async () => {
    const front = readFileSync(sharedDataPath('mrz/passporteye_images/ground_truth/passport-td3.png'));
    const r = await readDocument({ front, now });
    assert.equal(r.document.type, 'passport');
    const value = (f: string) => r.fields[f as keyof typeof r.fields]?.value;
    assert.equal(value('passport_number'), 'L898902C3');
    assert.equal(value('nationality'), 'UTO');
    assert.equal(value('date_of_birth'), '1974-08-12');
    assert.equal(value('sex'), 'F');
    assert.equal(value('date_of_expiry'), '2012-04-15');
    // No check digit covers the name: it comes from the MRZ with a lower confidence.
    assert.match(String(value('full_name')), /^ERIKSSON ANNA MARIA/);
    assert.deepEqual(r.fields.full_name?.sources, ['mrz']);
    assert.ok((r.fields.full_name?.confidence ?? 1) < 0.9);
    // Not printed in an MRZ, and no Vietnamese ID number on another country's passport.
    assert.equal(value('date_of_issue'), null);
    assert.equal(value('id_number'), null);
    assert.equal(r.checks.find((c) => c.code === 'CARD_EXPIRED')?.status, 'fail');
  });
});

test('the filler OCR read after an MRZ name is dropped; a short name of look-alike letters is kept', () => {
  assert.equal(withoutFillerTail('ANNA MARIA K LLLLLLLLLLLLLLLK'), 'ANNA MARIA');
  assert.equal(withoutFillerTail('VZOR LLLLLLLLLLLLLLLLLLLLKKKK'), 'VZOR');
  assert.equal(withoutFillerTail('SPECIMEN CCCLLCLLLLLLLLLLLRKL'), 'SPECIMEN');
  assert.equal(withoutFillerTail('KIM LEE'), 'KIM LEE');
  assert.equal(withoutFillerTail('MARIA OLIVIA'), 'MARIA OLIVIA');
});
