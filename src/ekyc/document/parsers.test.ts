import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { expectedExpiry } from './expiry.ts';
import { analyzeIdNumber, idMatchesPerson } from './id-number.ts';
import { layoutOf } from './layouts.ts';
import { formatTd1, formatTd3, mrzCheckDigit, parseMrz, readMrzText } from './mrz.ts';
import {
  dmyToIso,
  normalizeName,
  normalizeSex,
  oddNameWords,
  repairHorns,
  restoreFamilyName,
  settleNameMarks,
} from './normalize.ts';
import { formatCccdQr, parseCccdQr } from './qr.ts';
import { idCandidates, idFit, mrzIdNumber, parseFieldText } from './reader.ts';
import { sharedDataPath } from './shared-data.ts';

const NOW = new Date('2026-11-24T00:00:00Z');

function qrRows() {
  const text = readFileSync(sharedDataPath('vn_id_cards/qr_payload_examples.tsv'), 'utf8');
  const lines = text.split('\n').filter((l) => l && !l.startsWith('#'));
  const [header, ...rows] = lines;
  assert.ok(header?.startsWith('payload'));
  return rows.map((r) => {
    const [payload, n, kind] = r.split('\t');
    return { payload: payload as string, n: Number(n), kind: kind as string };
  });
}

describe('CCCD QR payload', () => {
  const rows = qrRows();

  test('strict mode accepts only the canonical 7-field DDMMYYYY payloads', () => {
    for (const row of rows) {
      const r = parseCccdQr(row.payload, 'strict');
      assert.equal(r.ok, row.kind.startsWith('canonical'), `${row.kind}: ${r.ok ? 'ok' : r.reason}`);
    }
  });

  test('the canonical payload yields normalised fields', () => {
    const r = parseCccdQr(rows[0]!.payload, 'strict');
    assert.ok(r.ok);
    assert.deepEqual(r.data, {
      id_number: '001099999999',
      old_id_number: '199999999',
      full_name: 'NGUYỄN VĂN TEST',
      date_of_birth: '1999-01-01',
      sex: 'M',
      place_of_residence: 'Số 1 Đường Mẫu, Phường Mẫu, Quận Mẫu, Thành phố Mẫu',
      date_of_issue: '2021-01-01',
    });
  });

  test('lenient mode reads slashed dates, labelled output and the 6-field variant', () => {
    for (const row of rows) {
      const r = parseCccdQr(row.payload, 'lenient');
      assert.ok(r.ok, `${row.kind}: ${r.ok ? '' : r.reason}`);
      assert.match(r.data.id_number, /^\d{12}$/);
      assert.match(r.data.date_of_birth, /^\d{4}-\d{2}-\d{2}$/);
      if (row.n === 6) {
        assert.equal(r.variant, 'six_field');
        assert.equal(r.data.old_id_number, null);
      }
      if (row.kind.startsWith('labelled')) {
        assert.equal(r.variant, 'lenient');
        assert.equal(r.data.full_name, 'NGUYỄN VĂN A');
        assert.equal(r.data.date_of_birth, '1990-01-01');
      }
    }
  });

  test('garbage and impossible dates are refused in both modes', () => {
    for (const mode of ['strict', 'lenient'] as const) {
      assert.equal(parseCccdQr('', mode).ok, false);
      assert.equal(parseCccdQr('hello world', mode).ok, false);
      assert.equal(parseCccdQr('001099999999||A|31021999|Nam|X|01012021', mode).ok, false);
      assert.equal(parseCccdQr('001099999999||A|01011999|Khác|X|01012021', mode).ok, false);
    }
  });

  test('format then parse round-trips', () => {
    const data = {
      id_number: '079301000123',
      old_id_number: null,
      full_name: 'TRẦN THỊ ÁNH NGỌC',
      date_of_birth: '2001-02-28',
      sex: 'F' as const,
      place_of_residence: 'Phường Bến Nghé, Quận 1, TP. Hồ Chí Minh',
      date_of_issue: '2022-05-10',
    };
    const r = parseCccdQr(formatCccdQr(data), 'strict');
    assert.ok(r.ok);
    assert.deepEqual(r.data, data);
  });
});

describe('MRZ', () => {
  const cases = JSON.parse(readFileSync(sharedDataPath('mrz/cheminfo_mrz_cases.json'), 'utf8')) as Array<{
    test: string;
    mrz: string[] | string;
    options: { autocorrect?: boolean } | null;
    parsed: { format: string; valid: boolean; documentNumber: string | null } | null;
  }>;

  test('every shared case parses to the expected format, validity and document number', () => {
    let n = 0;
    for (const c of cases) {
      if (!c.parsed) continue;
      const lines = Array.isArray(c.mrz) ? c.mrz : c.mrz.split('\n');
      const r = parseMrz(lines, NOW, { autocorrect: c.options?.autocorrect ?? false });
      assert.ok(r, c.test);
      assert.equal(r.format, c.parsed.format, c.test);
      assert.equal(r.valid, c.parsed.valid, c.test);
      assert.equal(r.documentNumber, c.parsed.documentNumber, c.test);
      n++;
    }
    assert.ok(n >= 30);
  });

  test('our check digit agrees with the TD1/TD3 check digits of every valid case', () => {
    for (const c of cases) {
      const lines = Array.isArray(c.mrz) ? c.mrz : c.mrz.split('\n');
      if (!c.parsed?.valid || c.options?.autocorrect) continue;
      if (c.parsed.format === 'TD3') {
        const l2 = lines[1] as string;
        assert.equal(mrzCheckDigit(l2.slice(13, 19)), l2[19], c.test);
        assert.equal(mrzCheckDigit(l2.slice(21, 27)), l2[27], c.test);
      }
      if (c.parsed.format === 'TD1') {
        const l2 = lines[1] as string;
        assert.equal(mrzCheckDigit(l2.slice(0, 6)), l2[6], c.test);
        assert.equal(mrzCheckDigit(l2.slice(8, 14)), l2[14], c.test);
      }
    }
  });

  test('a Vietnamese TD1 we format is valid and carries the 12-digit ID', () => {
    const lines = formatTd1({
      documentNumber: '099999999',
      idNumber: '001099999999',
      surname: 'NGUYỄN',
      givenNames: 'VĂN ĐỨC',
      birthDate: '1999-01-01',
      sex: 'M',
      expiryDate: '2039-01-01',
    });
    assert.equal(lines.join('').length, 90);
    const r = parseMrz(lines, NOW);
    assert.ok(r?.valid, JSON.stringify(r?.checks));
    assert.equal(r.idNumber, '001099999999');
    assert.equal(r.surname, 'NGUYEN');
    assert.equal(r.givenNames, 'VAN DUC');
    assert.equal(r.birthDate, '1999-01-01');
    assert.equal(r.expiryDate, '2039-01-01');
    const broken = [...lines];
    broken[1] = `${lines[1].slice(0, 6)}${(Number(lines[1][6]) + 1) % 10}${lines[1].slice(7)}`;
    assert.equal(parseMrz(broken, NOW)?.valid, false);
  });

  test('a TD3 passport MRZ we format is valid', () => {
    const lines = formatTd3({
      documentNumber: 'C1234567',
      idNumber: '001099999999',
      surname: 'LÊ',
      givenNames: 'THỊ HỒNG',
      birthDate: '1985-12-31',
      sex: 'F',
      expiryDate: '2031-06-30',
    });
    const r = parseMrz(lines, NOW);
    assert.ok(r?.valid, JSON.stringify(r?.checks));
    assert.equal(r.format, 'TD3');
    assert.equal(r.sex, 'F');
  });

  test('OCR that reads OCR-B fillers as `<K`/`<L` is cleaned back to 44 columns', () => {
    const ocr =
      'V 8 I DD HS\nP<UTOERIKSSON<K<KANNA<KMARIA<LLLLLLLLLLLLLLKLKLKLKLK\nL898902C36UTO7408122F1204159ZE184226B<<<<<K10\n';
    assert.deepEqual(readMrzText(ocr, NOW)?.lines, [
      'P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<',
      'L898902C36UTO7408122F1204159ZE184226B<<<<<10',
    ]);
  });

  test('a letter that is no look-alike in a digit column is repaired only by the check digit', () => {
    const lines = formatTd1({
      documentNumber: '200826746',
      idNumber: '040200826746',
      surname: 'LƯƠNG',
      givenNames: 'QUỐC ANH PHÚC',
      birthDate: '2000-02-20',
      sex: 'M',
      expiryDate: '2025-02-20',
    });
    // OCR read the birth date's first 0 as P at the strip's left edge.
    const ocr = [lines[0], `P${lines[1]!.slice(1)}`, lines[2]].join('\n');
    const r = readMrzText(ocr, NOW);
    assert.equal(r?.birthDate, '2000-02-20');
    assert.equal(r?.valid, true);
    // Two such letters in one line are not guessed.
    const two = [lines[0], `PP${lines[1]!.slice(2)}`, lines[2]].join('\n');
    assert.equal(readMrzText(two, NOW)?.birthDate ?? null, null);
  });

  test('a line glare cut too short to repair is filler: the lines that verify still count', () => {
    // A chip CCCD back (eval seed 606, card 321): four digits of the expiry lost on the second line.
    const ocr =
      'IDVNM1798718687038179871868<<<\n7903203F39 5VNM<<<<<<<<<<<0\nMAC<<DIEU<CHI<<<<<<<<<<<<<<<<<\n';
    const r = readMrzText(ocr, NOW);
    assert.equal(r?.idNumber, '038179871868');
    assert.equal(r?.checks.documentNumberCheckDigit, true);
    assert.equal(r?.valid, false);
    // Nothing on the cut line is taken.
    assert.equal(r?.birthDate ?? null, null);
    assert.equal(r?.expiryDate ?? null, null);
    assert.equal(mrzIdNumber(r!), '038179871868');
    // Without the composite nothing covers the province code: one that does not exist is no ID.
    const noProvince = readMrzText(ocr.replace('7038179871868', '7003179871868'), NOW)!;
    assert.equal(noProvince.checks.documentNumberCheckDigit, true);
    assert.equal(noProvince.idNumber, '003179871868');
    assert.equal(mrzIdNumber(noProvince), null);
  });

  test("a chip CCCD's ID that lost two digits comes back from the verified document number, if the composite picks one province", () => {
    // Eval seed 2024, card 177: the optional field read 0381699309 (89 dropped), the second line lost
    // three fillers before the composite 3.
    const ocr =
      'IDVNM16993098920381699309 <<\n6912152F2912154VNM<<<<<<< <3\nDANG<<THANH<OANH<ANH<<<<<<<<<<\n';
    const r = readMrzText(ocr, NOW);
    assert.equal(r?.idNumber, '038169930989');
    assert.equal(r?.valid, true);
    // The digits read fit no province's ID: nothing is made up.
    assert.equal(readMrzText(ocr.replace('0381699309', '9981699309'), NOW)?.idNumber ?? null, null);
  });

  test('an unreadable check digit is not tried as every digit: one always verifies', () => {
    const lines = formatTd1({
      documentNumber: '200826746',
      idNumber: '040200826746',
      surname: 'LƯƠNG',
      givenNames: 'QUỐC ANH',
      birthDate: '2000-02-20',
      sex: 'M',
      expiryDate: '2025-02-20',
    });
    const ocr = [lines[0], `${lines[1]!.slice(0, 29)}X`, lines[2]].join('\n');
    assert.equal(readMrzText(ocr, NOW)?.checks.compositeCheckDigit, false);
    assert.equal(readMrzText(lines.join('\n'), NOW)?.checks.compositeCheckDigit, true);
  });

  test('OCR text with noise and spaces becomes MRZ lines', () => {
    const ocr =
      'xx\nIDVNM0999999992001099999999<< 8\n9901014M3901013VNM<<<<<<<<<<<6\nNGUYEN<<VAN<DUC<<<<<<<<<<<<<<<\n';
    const lines = readMrzText(ocr, NOW)?.lines;
    assert.ok(lines);
    assert.equal(lines.length, 3);
    assert.ok(lines.every((l) => l.length === 30));
  });
});

describe('ID number structure', () => {
  test('province, century/sex digit and birth year are decoded', () => {
    const a = analyzeIdNumber('001099999999');
    assert.equal(a.kind, 'id12');
    assert.equal(a.provinceValid, true);
    assert.equal(a.sex, 'M');
    assert.equal(a.birthYear, 1999);
    const b = analyzeIdNumber('079301000123');
    assert.equal(b.sex, 'F');
    assert.equal(b.birthYear, 2001);
  });

  test('unknown province codes and wrong lengths are problems', () => {
    assert.equal(analyzeIdNumber('003099999999').provinceValid, false);
    assert.equal(analyzeIdNumber('097099999999').provinceValid, false);
    assert.equal(analyzeIdNumber('12345').kind, 'invalid');
    assert.equal(analyzeIdNumber('123456789').kind, 'cmnd9');
  });

  test('sex and birth year are checked against the digits', () => {
    assert.equal(idMatchesPerson('001099999999', 'M', '1999-01-01').status, 'pass');
    assert.equal(idMatchesPerson('001099999999', 'F', '1999-01-01').status, 'fail');
    assert.equal(idMatchesPerson('001099999999', 'M', '2099-01-01').status, 'fail');
    assert.equal(idMatchesPerson('001299999999', 'M', '1999-01-01').status, 'fail');
    assert.equal(idMatchesPerson('123456789', 'M', '1999-01-01').status, 'not_applicable');
  });
});

describe("OCR'd ID numbers", () => {
  const person = { dob: '1982-02-21', sex: 'F' as const };

  test('a digit inserted under glare: every way of dropping one digit is a candidate', () => {
    const c = idCandidates('0358182232510', 12);
    assert.ok(c.includes('038182232510') && c.includes('035818223251'));
    assert.equal(new Set(c).size, c.length);
    assert.deepEqual(idCandidates('182232510', 12), [], 'a dropped digit cannot be guessed back');
    assert.deepEqual(
      idCandidates('O38l822325IO', 12),
      ['038182232510'],
      'MRZ-alphabet letters map to digits',
    );
  });

  test('century/sex digit 8 or an unknown province is impossible; birth year and sex must agree', () => {
    assert.equal(idFit('035818223251', person, NOW), 'impossible');
    assert.equal(idFit('003182232510', person, NOW), 'impossible');
    assert.equal(idFit('038362232510', { dob: null, sex: null }, NOW), 'impossible', 'born in 2062');
    assert.equal(idFit('038182232510', person, NOW), 'consistent');
    assert.equal(idFit('038183232510', person, NOW), 'possible', 'born 1983, read 1982');
    assert.equal(idFit('038082232510', person, NOW), 'possible', 'male digit, female card');
    assert.equal(idFit('298000299', person, NOW), 'consistent', 'a CMND number has no structure');
  });
});

describe("OCR'd names", () => {
  const nameLayout = layoutOf('cccd', 'front').fields.find((f) => f.field === 'full_name')!;
  test('a word without a vowel is a broken read, not a name; minority names pass', () => {
    assert.equal(parseFieldText(nameLayout, 'H    !H TRỌNG LONG NAM', 'cccd'), null);
    assert.equal(parseFieldText(nameLayout, 'HUYNH TRỌNG LONG NAM', 'cccd'), 'HUỲNH TRỌNG LONG NAM');
    assert.equal(parseFieldText(nameLayout, "H'Hen Niê", 'cccd'), "H'HEN NIÊ");
    assert.equal(parseFieldText(nameLayout, "' KSOR Y ' BLIM", 'cccd'), 'KSOR Y BLIM');
    assert.equal(
      parseFieldText(nameLayout, 'PHAẠM HỒNG HÀ', 'cccd'),
      'PHẠM HỒNG HÀ',
      'a vowel emitted twice',
    );
    assert.equal(parseFieldText(nameLayout, 'NGUYỄN GIA        THẮNG', 'cccd'), null, 'a word read around');
    assert.equal(
      parseFieldText(nameLayout, 'NGUYÊN QUỐC BẢO      ;', 'cccd'),
      'NGUYỄN QUỐC BẢO',
      'junk off the box edge after a gap is no gap inside the name',
    );
  });

  test('punctuation read off the box edge after a place is dropped', () => {
    const origin = layoutOf('cccd', 'front').fields.find((f) => f.field === 'place_of_origin')!;
    assert.equal(
      parseFieldText(origin, 'Xã Tân Phú, Thừa Thiên Huế :.', 'cccd'),
      'Xã Tân Phú, Thừa Thiên Huế',
    );
    assert.equal(
      parseFieldText(origin, 'Xã Tân Phú, Thừa Thiên Huế |', 'cccd'),
      'Xã Tân Phú, Thừa Thiên Huế',
    );
    assert.equal(parseFieldText(origin, 'Phường 1, TP. Hồ Chí Minh', 'cccd'), 'Phường 1, TP. Hồ Chí Minh');
  });
});

test('a horn OCR dropped from ƯƠ before a final comes back; open UƠ stays', () => {
  assert.equal(repairHorns('LÝ PHUƠNG OANH'), 'LÝ PHƯƠNG OANH');
  assert.equal(repairHorns('TRƯONG THỊ MƯỜI'), 'TRƯƠNG THỊ MƯỜI');
  assert.equal(repairHorns('NGUYỄN VĂN TRUỚC'), 'NGUYỄN VĂN TRƯỚC');
  assert.equal(repairHorns('TRUONG'), 'TRUONG', 'no horn on either: not guessed');
  assert.equal(repairHorns('HUƠ THUỞ'), 'HUƠ THUỞ');
  assert.equal(repairHorns('DƯƠNG HƯỚNG'), 'DƯƠNG HƯỚNG');
});

describe('card expiry by age milestones', () => {
  test('CCCD: 25, 40, 60, then none; two years before a milestone skips it', () => {
    assert.equal(expectedExpiry('cccd', '2000-03-15', '2021-01-01'), '2025-03-15');
    assert.equal(expectedExpiry('cccd', '2000-03-15', '2023-03-15'), '2040-03-15');
    assert.equal(expectedExpiry('cccd', '2000-03-15', '2023-03-14'), '2025-03-15');
    assert.equal(expectedExpiry('cccd', '1980-01-01', '2021-06-01'), '2040-01-01');
    assert.equal(expectedExpiry('cccd', '1970-01-01', '2021-06-01'), '2030-01-01');
    assert.equal(expectedExpiry('cccd', '1960-01-01', '2021-06-01'), null);
  });

  test('Căn cước adds the 14 milestone', () => {
    assert.equal(expectedExpiry('can_cuoc', '2015-05-05', '2024-08-01'), '2029-05-05');
    assert.equal(expectedExpiry('cccd', '2015-05-05', '2024-08-01'), '2040-05-05');
  });

  test('29 February birthdays expire on 28 February in common years', () => {
    assert.equal(expectedExpiry('cccd', '2000-02-29', '2021-01-01'), '2025-02-28');
  });
});

describe('normalisation', () => {
  test('names become NFC upper case with every diacritic', () => {
    const decomposed = 'nguyễn thị  ánh'.normalize('NFD');
    assert.equal(normalizeName(decomposed), 'NGUYỄN THỊ ÁNH');
    assert.equal(normalizeName(decomposed), normalizeName(decomposed).normalize('NFC'));
    assert.equal(normalizeName('đặng văn đức'), 'ĐẶNG VĂN ĐỨC');
  });

  test('an OCR family name that lost a tone mark gets it back only when that is unambiguous', () => {
    assert.equal(restoreFamilyName('NGUYÊN VĂN PHÚC'), 'NGUYỄN VĂN PHÚC');
    assert.equal(restoreFamilyName('DANG VĂN ĐỨC'), 'ĐẶNG VĂN ĐỨC');
    // Already a family name, ambiguous (LA / LÃ), unknown, or a lone word: unchanged.
    assert.equal(restoreFamilyName('LÊ THỊ HOA'), 'LÊ THỊ HOA');
    assert.equal(restoreFamilyName('LẠ VĂN AN'), 'LẠ VĂN AN');
    assert.equal(restoreFamilyName('XYZ VĂN AN'), 'XYZ VĂN AN');
    assert.equal(restoreFamilyName('NGUYÊN'), 'NGUYÊN');
  });

  test('a middle or given name read as a syllable that is no name gets its marks from the other reading, or null', () => {
    // Read HÔNG at 0.93 under glare; YẾN read YÊN; QUÂN read QUẦN: one name folds to each.
    assert.deepEqual(oddNameWords('DƯƠNG HÔNG LINH'), ['HÔNG']);
    assert.equal(settleNameMarks('DƯƠNG HÔNG LINH', null).value, 'DƯƠNG HỒNG LINH');
    assert.equal(settleNameMarks('LƯƠNG KIM YÊN UYÊN', null).value, 'LƯƠNG KIM YẾN UYÊN');
    assert.equal(settleNameMarks('MẠC MINH QUẦN', 'MẠC MINH QUẦN').value, 'MẠC MINH QUÂN');
    // DỤNG folds to DUNG and DŨNG, VAN to VĂN and VÂN: only the other reading may say which.
    assert.equal(settleNameMarks('ĐINH THỊ DỤNG', 'ĐINH THỊ DUNG').value, 'ĐINH THỊ DUNG');
    assert.equal(settleNameMarks('ĐINH THỊ DỤNG', 'ĐINH THỊ DỤNG').value, null);
    assert.equal(settleNameMarks('LÊ VAN AN', null).word, 'VAN');
    // Names, the old tone placement (THUỶ), the family name and a minority name are left alone.
    for (const n of ['NGUYỄN VĂN HÙNG', 'TRẦN THỊ THUỶ', 'HOÀNG THỊ HOÀ', 'NGUYÊN VĂN AN', "H'HEN NIÊ"]) {
      assert.deepEqual(oddNameWords(n), [], n);
    }
  });

  test('dates become ISO and impossible dates null', () => {
    assert.equal(dmyToIso('01/02/1990'), '1990-02-01');
    assert.equal(dmyToIso('1.2.1990'), '1990-02-01');
    assert.equal(dmyToIso('01021990'), '1990-02-01');
    assert.equal(dmyToIso('30/02/1990'), null);
    assert.equal(normalizeSex('Nữ'), 'F');
    assert.equal(normalizeSex('NAM'), 'M');
    assert.equal(normalizeSex('x'), null);
  });
});
