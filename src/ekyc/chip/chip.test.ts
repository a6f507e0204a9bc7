import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  buildCrl,
  buildDg13,
  CITIZEN,
  makeChip,
  makePki,
  sharedFile,
} from '../../../test/fixtures/chip/vn-chip.ts';
import { AppError } from '../../http/errors.ts';
import { parseCertificate } from './cert.ts';
import { parseDg1, parseDg11, parseDg12, parseDg13 } from './datagroups.ts';
import { extractFace, faceForDisplay } from './face.ts';
import { readMasterList } from './masterlist.ts';
import { MemoryTrustStore, passiveAuthentication } from './pa.ts';
import { parseOne, type Tlv } from './tlv.ts';
import { verifyChip } from './verify.ts';

const NOW = new Date('2026-11-24T03:00:00Z');
const empty = () => new MemoryTrustStore();
const file = (rel: string) => new Uint8Array(sharedFile(`emrtd/${rel}`));

async function rejectsWith(p: Promise<unknown> | (() => unknown), code: string) {
  await assert.rejects(
    async () => (typeof p === 'function' ? p() : p),
    (e: unknown) => e instanceof AppError && e.code === code && e.status >= 400 && e.status < 500,
  );
}

describe('passive authentication on the shared eMRTD samples', () => {
  test('German 2008 specimen: explicit-curve ECDSA signature valid, DG1/2/3/14 match, DG4/15 not listed, CSCA unknown', async () => {
    const dir = 'jmrtd_bsi2008_DE_specimen/';
    const dgs = new Map([1, 2, 3, 4, 14, 15].map((n) => [n, file(`${dir}Datagroup${n}.bin`)]));
    const pa = await passiveAuthentication(file(`${dir}EF_SOD.bin`), dgs, { trust: empty(), now: NOW });
    assert.equal(pa.sod_signature, 'valid');
    assert.equal(pa.chain, 'issuer_not_trusted');
    assert.match(pa.signer!.public_key, /^EC-/);
    const by = Object.fromEntries(pa.data_groups.map((d) => [d.dg, d.hash]));
    assert.deepEqual(by, {
      1: 'match',
      2: 'match',
      3: 'match',
      4: 'not_listed',
      14: 'match',
      15: 'not_listed',
    });
    assert.equal(pa.passed, false);
  });

  test('German specimen: one flipped byte in DG3 is a mismatch of DG3 only', async () => {
    const dir = 'jmrtd_bsi2008_DE_specimen/';
    const dg3 = file(`${dir}Datagroup3.bin`).slice();
    dg3[1000]! ^= 0x01;
    const pa = await passiveAuthentication(
      file(`${dir}EF_SOD.bin`),
      new Map([
        [1, file(`${dir}Datagroup1.bin`)],
        [3, dg3],
      ]),
      {
        trust: empty(),
        now: NOW,
      },
    );
    assert.deepEqual(
      pa.data_groups.filter((d) => d.dg <= 3).map((d) => d.hash),
      ['match', 'not_provided', 'mismatch'],
    );
  });

  test('Dutch 2006 specimen: RSA with SHA-256, every hash matches, root not included', async () => {
    const dir = 'jmrtd_loes2006_NL_specimen/';
    const dgs = new Map([
      [1, file(`${dir}ef0101.bin`)],
      [2, file(`${dir}ef0102.bin`)],
      [15, file(`${dir}ef010F.bin`)],
    ]);
    const pa = await passiveAuthentication(file(`${dir}ef011D.bin`), dgs, { trust: empty(), now: NOW });
    assert.equal(pa.sod_signature, 'valid');
    assert.equal(pa.hash_algorithm, 'sha256');
    assert.match(pa.signer!.public_key, /^RSA-/);
    assert.ok(pa.data_groups.every((d) => d.hash === 'match'));
    assert.equal(pa.chain, 'issuer_not_trusted');
  });

  test('New Zealand SOD in BER indefinite-length encoding verifies with its embedded signer', async () => {
    const sod = file('jmrtd_misc/NZ2013_EF_SOD.BIN');
    const anyIndefinite = (t: Tlv): boolean => t.indefinite || t.children.some(anyIndefinite);
    assert.ok(anyIndefinite(parseOne(sod)), 'the sample really is indefinite-length BER');
    const pa = await passiveAuthentication(sod, new Map(), { trust: empty(), now: NOW });
    assert.equal(pa.sod_signature, 'valid');
    assert.equal(pa.signer!.country, 'NZ');
    assert.ok(pa.data_groups.every((d) => d.hash === 'not_provided'));
  });

  test('ICAO worked examples against an unrelated SOD fail passive authentication', async () => {
    const dir = 'gmrtd_icao9303_worked_examples/';
    const dgs = new Map([1, 2, 7, 11, 12, 13, 14, 15, 16].map((n) => [n, file(`${dir}DG${n}.bin`)]));
    const pa = await passiveAuthentication(file(`${dir}EF_SOD_AT_realworld.bin`), dgs, {
      trust: empty(),
      now: NOW,
    });
    assert.equal(pa.passed, false);
    assert.ok(pa.data_groups.some((d) => d.hash === 'mismatch'));
    assert.ok(!pa.data_groups.some((d) => d.hash === 'match'));
  });

  test('ICAO worked-example data groups parse: DG1 TD2, DG11, DG12; the opaque DG13 is not Vietnamese', () => {
    const dir = 'gmrtd_icao9303_worked_examples/';
    const mrz = parseDg1(file(`${dir}DG1.bin`));
    assert.equal(mrz?.format, 'TD2');
    assert.equal(mrz?.surname, 'ERIKSSON');
    const dg11 = parseDg11(file(`${dir}DG11.bin`));
    assert.equal(dg11?.full_name, 'SMITH<<JOHN<J');
    assert.equal(dg11?.telephone, '16125551212');
    const dg12 = parseDg12(file(`${dir}DG12.bin`));
    assert.equal(dg12?.personalization_time, '20161115013612');
    assert.equal(parseDg13(file(`${dir}DG13.bin`)), null);
  });
});

describe('CSCA master list and trust anchors', () => {
  test('the German master list loads its certificates and its signature verifies (explicit-curve root)', async () => {
    const root = parseCertificate(file('csca/DE_ROOT_CA_CSCA07.cer'));
    const ml = await readMasterList(file('csca/DE_ML_2026-05-28-08-28-45.ml'), [root]);
    assert.equal(ml.certificates.length + ml.skipped, 588);
    assert.ok(ml.certificates.length >= 580);
    assert.equal(ml.signer_chain, 'trusted');
    assert.ok(ml.certificates.some((c) => c.country === 'VN'));
    // A flipped byte inside the list content breaks the list's message digest.
    const bad = file('csca/DE_ML_2026-05-28-08-28-45.ml').slice();
    bad[5000]! ^= 0x01;
    await assert.rejects(
      readMasterList(bad, [root]),
      (e: unknown) => e instanceof AppError && e.status < 500,
    );
  });

  test("Vietnam's e-passport CSCA loads", () => {
    const vn = parseCertificate(file('csca/VN_CSCA_ePassport_Vietnam_2022.der'));
    assert.equal(vn.country, 'VN');
    assert.equal(vn.notAfter.getUTCFullYear(), 2037);
  });
});

describe('DG2 face extraction', () => {
  const enc = 'gmrtd_biometric_encodings/';
  test('ISO 19794-5 record: the embedded JPEG comes out byte for byte', async () => {
    const f = extractFace(file(`${enc}ISO19794_Test1_Data.bin`));
    assert.equal(f?.record_format, 'iso19794-5');
    assert.deepEqual(Buffer.from(f!.original), sharedFile(`emrtd/${enc}ISO19794_Test1_Face.jpg`));
    assert.equal((await faceForDisplay(f!)).problem, null);
  });
  test('ISO 19794-5 record with a broken image is flagged, not crashed on', async () => {
    const f = extractFace(file(`${enc}ISO19794_Test2_Data_InvalidImage.bin`));
    const shown = await faceForDisplay(f!);
    assert.equal(shown.jpeg, null);
    assert.ok(shown.problem);
  });
  for (const name of [
    'ICAO_39794_5_AP_AllFields.dat',
    'ICAO_39794_5_AP_MandFields.dat',
    'ICAO_39794_5_AP_DG2_AllFields.dat',
    'ICAO_39794_5_AP_DG2_MandFields.dat',
  ]) {
    test(`ISO/IEC 39794-5 ${name}: the image is extracted and its JPEG2000 decoded to JPEG`, async () => {
      const f = extractFace(file(`${enc}${name}`));
      assert.equal(f?.record_format, 'iso39794-5');
      const expected = sharedFile(
        `emrtd/${enc}${name.includes('DG2') ? 'ICAO_39794_5_AP_DG2_Face.jpg' : 'ICAO_39794_5_AP_Face.jpg'}`,
      );
      assert.deepEqual(Buffer.from(f!.original), expected);
      const shown = await faceForDisplay(f!);
      assert.equal(shown.image_format, 'jpeg2000');
      assert.equal(shown.jpeg?.subarray(0, 3).toString('hex'), 'ffd8ff');
    });
  }
  test('ISO/IEC 39794-5 with an invalid image is flagged', async () => {
    const shown = await faceForDisplay(
      extractFace(file(`${enc}ICAO_39794_5_AP_MandFields_InvalidImage.dat`))!,
    );
    assert.equal(shown.jpeg, null);
    assert.equal(shown.problem, 'IMAGE_FORMAT_UNKNOWN');
  });
  test('German specimen DG2 (JPEG2000 in ISO 19794-5) decodes to a 413×531 JPEG', async () => {
    const shown = await faceForDisplay(extractFace(file('jmrtd_bsi2008_DE_specimen/Datagroup2.bin'))!);
    assert.equal(shown.image_format, 'jpeg2000');
    assert.deepEqual([shown.width, shown.height], [413, 531]);
    assert.ok(shown.jpeg && shown.jpeg.length > 1000);
  });
});

describe('the Vietnamese test chip', () => {
  const pkiEc = makePki({ cscaAlg: 'ec-brainpool256', dsAlg: 'ec-p256' });
  const pkiPss = makePki({ cscaAlg: 'rsa', dsAlg: 'rsa-pss' });
  const trustOf = (pki: ReturnType<typeof makePki>) => new MemoryTrustStore([parseCertificate(pki.csca.der)]);

  for (const [label, pki] of [
    ['ECDSA', pkiEc],
    ['RSA-PSS', pkiPss],
  ] as const) {
    test(`SOD signed with ${label} is trusted once its CSCA is installed, and DG13 matches DG1`, async () => {
      const chip = makeChip(pki);
      const r = await verifyChip(
        { sod: chip.sod, com: chip.com, dataGroups: chip.dgs },
        { trust: trustOf(pki), now: NOW },
      );
      assert.equal(r.passive_authentication.sod_signature, 'valid');
      assert.equal(r.passive_authentication.chain, 'trusted');
      assert.equal(r.passive_authentication.passed, true);
      assert.equal(r.data.dg13?.full_name, CITIZEN.full_name);
      assert.equal(r.data.dg13?.place_of_residence, CITIZEN.place_of_residence);
      assert.equal(r.data.mrz?.document_code, 'ID');
      assert.equal(r.data.mrz?.issuing_state, 'VNM');
      assert.equal(r.checks.find((c) => c.code === 'DG13_MATCHES_DG1')?.status, 'pass');
      assert.deepEqual(Buffer.from(r.data.face_image!, 'base64'), chip.faceJpeg);
    });
  }

  test('without the CSCA installed the chain is issuer_not_trusted, but signature and hashes are still checked', async () => {
    const chip = makeChip(pkiEc);
    const pa = await passiveAuthentication(chip.sod, chip.dgs, { trust: empty(), now: NOW });
    assert.equal(pa.chain, 'issuer_not_trusted');
    assert.equal(pa.sod_signature, 'valid');
    assert.ok(pa.data_groups.every((d) => d.hash === 'match'));
  });

  test('BER indefinite lengths, signer by subject key identifier, LDS v1 and SHA-1/384/512 all verify', async () => {
    for (const hash of ['sha1', 'sha384', 'sha512'] as const) {
      const chip = makeChip(pkiEc, { ber: true, sid: 'ski', ldsVersion: 1, hash });
      const pa = await passiveAuthentication(chip.sod, chip.dgs, { trust: trustOf(pkiEc), now: NOW });
      assert.equal(pa.hash_algorithm, hash);
      assert.equal(pa.signer_identified_by, 'subject_key_identifier');
      assert.equal(pa.lds_security_object_version, 1);
      assert.equal(pa.passed, true, hash);
    }
  });

  test('a flipped byte in any data group is a mismatch of that group only', async () => {
    const chip = makeChip(pkiEc);
    for (const dg of [1, 2, 13]) {
      const dgs = new Map(chip.dgs);
      const bytes = dgs.get(dg)!.slice();
      bytes[Math.floor(bytes.length / 2)]! ^= 0x80;
      dgs.set(dg, bytes);
      const pa = await passiveAuthentication(chip.sod, dgs, { trust: trustOf(pkiEc), now: NOW });
      for (const d of pa.data_groups) assert.equal(d.hash, d.dg === dg ? 'mismatch' : 'match');
      assert.equal(pa.sod_signature, 'valid');
      assert.equal(pa.passed, false);
    }
  });

  test('a SOD signed by another key than its embedded signer certificate has an invalid signature', async () => {
    const other = makePki();
    const chip = makeChip(pkiEc, { signingKey: other.ds.key });
    const pa = await passiveAuthentication(chip.sod, chip.dgs, { trust: trustOf(pkiEc), now: NOW });
    assert.equal(pa.sod_signature, 'invalid');
    assert.equal(pa.sod_signature_detail, 'SIGNATURE_INVALID');
    assert.equal(pa.passed, false);
  });

  test('a document signer issued by an impostor CSCA with the same name is an invalid chain', async () => {
    const impostor = makePki();
    const chip = makeChip(impostor);
    const pa = await passiveAuthentication(chip.sod, chip.dgs, { trust: trustOf(pkiEc), now: NOW });
    assert.equal(pa.chain, 'invalid');
    assert.equal(pa.chain_detail, 'ISSUER_SIGNATURE_INVALID');
  });

  test('an expired document signer gives chain expired', async () => {
    const pki = makePki({ dsExpired: true });
    const chip = makeChip(pki);
    const pa = await passiveAuthentication(chip.sod, chip.dgs, { trust: trustOf(pki), now: NOW });
    assert.equal(pa.sod_signature, 'valid');
    assert.equal(pa.chain, 'expired');
    assert.equal(pa.chain_detail, 'SIGNER_EXPIRED');
  });

  test('a CRL from the CSCA revoking the signer makes the chain invalid; an unrelated CRL does not', async () => {
    const chip = makeChip(pkiEc);
    const revoking = buildCrl(pkiEc.csca, [pkiEc.ds.serial], NOW);
    const trust = new MemoryTrustStore([parseCertificate(pkiEc.csca.der)], [revoking]);
    const pa = await passiveAuthentication(chip.sod, chip.dgs, { trust, now: NOW });
    assert.equal(pa.chain, 'invalid');
    assert.equal(pa.chain_detail, 'REVOKED');
    const harmless = new MemoryTrustStore(
      [parseCertificate(pkiEc.csca.der)],
      [buildCrl(pkiEc.csca, [], NOW)],
    );
    const ok = await passiveAuthentication(chip.sod, chip.dgs, { trust: harmless, now: NOW });
    assert.equal(ok.chain, 'trusted');
    assert.equal(ok.crl_checked, true);
  });

  test('a truncated SOD is refused as malformed ASN.1', async () => {
    const chip = makeChip(pkiEc);
    await rejectsWith(
      passiveAuthentication(chip.sod.subarray(0, chip.sod.length - 40), chip.dgs, {
        trust: empty(),
        now: NOW,
      }),
      'ERR_CHIP_ASN1',
    );
  });

  test('DG13 that disagrees with DG1 fails the cross-check on the differing fields', async () => {
    const chip = makeChip(pkiEc);
    const dgs = new Map(chip.dgs);
    dgs.set(13, buildDg13({ ...CITIZEN, date_of_birth: '16/03/1999', full_name: 'Nguyễn Thị Thu Hà' }));
    const r = await verifyChip(
      { sod: chip.sod, dataGroups: dgs },
      { trust: trustOf(pkiEc), now: NOW, decodeFace: false },
    );
    const check = r.checks.find((c) => c.code === 'DG13_MATCHES_DG1')!;
    assert.equal(check.status, 'fail');
    assert.equal(check.fields?.date_of_birth, 'fail');
    assert.equal(check.fields?.full_name, 'fail');
    assert.equal(check.fields?.id_number, 'pass');
  });

  test('chip data is cross-checked with the card read (OCR/QR) of the same session', async () => {
    const chip = makeChip(pkiEc);
    const document = {
      id_number: '001099012345',
      full_name: 'NGUYỄN THỊ THU HƯƠNG',
      date_of_birth: '15/03/1999',
      sex: 'Nữ',
    };
    const r = await verifyChip(
      { sod: chip.sod, dataGroups: chip.dgs },
      { trust: trustOf(pkiEc), now: NOW, document, decodeFace: false },
    );
    assert.equal(r.checks.find((c) => c.code === 'CHIP_MATCHES_DOCUMENT')?.status, 'pass');
    const r2 = await verifyChip(
      { sod: chip.sod, dataGroups: chip.dgs },
      {
        trust: trustOf(pkiEc),
        now: NOW,
        document: { ...document, id_number: '001099012346' },
        decodeFace: false,
      },
    );
    assert.equal(r2.checks.find((c) => c.code === 'CHIP_MATCHES_DOCUMENT')?.status, 'fail');
  });
});

describe('hostile ASN.1', () => {
  test('deep nesting, lengths beyond the buffer, huge lengths and non-ASN.1 give 4xx codes', async () => {
    const deep = new Uint8Array(20_000);
    for (let i = 0; i < deep.length; i += 2) [deep[i], deep[i + 1]] = [0x30, 0x80];
    await rejectsWith(() => parseOne(deep), 'ERR_CHIP_ASN1_TOO_DEEP');
    await rejectsWith(
      () => parseOne(Uint8Array.of(0x30, 0x84, 0x7f, 0xff, 0xff, 0xff, 0x01)),
      'ERR_CHIP_ASN1',
    );
    await rejectsWith(() => parseOne(Uint8Array.of(0x30, 0x89, 1, 2, 3, 4, 5, 6, 7, 8, 9)), 'ERR_CHIP_ASN1');
    await rejectsWith(
      passiveAuthentication(new TextEncoder().encode('hello, not a SOD'), new Map(), {
        trust: empty(),
        now: NOW,
      }),
      'ERR_CHIP_ASN1',
    );
    // Well-formed ASN.1 that is not a SignedData.
    await rejectsWith(
      passiveAuthentication(Uint8Array.of(0x30, 0x03, 0x02, 0x01, 0x05), new Map(), {
        trust: empty(),
        now: NOW,
      }),
      'ERR_CHIP_SOD_STRUCTURE',
    );
    const flat = new Uint8Array(2 + 3 * 250_000);
    flat.set([0x30, 0x80]);
    for (let i = 2; i + 1 < flat.length; i += 2) [flat[i], flat[i + 1]] = [0x05, 0x00];
    await rejectsWith(() => parseOne(flat), 'ERR_CHIP_ASN1_TOO_LARGE');
  });

  test('fuzz: 300 random mutations of the sample files never crash or hang the parsers', async () => {
    let seed = 0x5eed;
    const rnd = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed / 0x7fffffff;
    };
    const samples = [
      file('jmrtd_bsi2008_DE_specimen/EF_SOD.bin'),
      file('jmrtd_misc/NZ2013_EF_SOD.BIN'),
      file('jmrtd_loes2006_NL_specimen/ef011D.bin'),
      file('gmrtd_icao9303_worked_examples/DG11.bin'),
      file('jmrtd_bsi2008_DE_specimen/Datagroup1.bin'),
      file('gmrtd_biometric_encodings/ICAO_39794_5_AP_DG2_MandFields.dat'),
      buildDg13(CITIZEN),
    ];
    const started = performance.now();
    let rejected = 0;
    for (let i = 0; i < 300; i++) {
      const base = samples[i % samples.length]!;
      const m = base.slice();
      const edits = 1 + Math.floor(rnd() * 4);
      for (let e = 0; e < edits; e++) {
        const at = Math.floor(rnd() * m.length);
        const kind = rnd();
        if (kind < 0.6) m[at] = Math.floor(rnd() * 256);
        else if (kind < 0.8) m[at] = [0x80, 0x84, 0xff, 0x00][Math.floor(rnd() * 4)]!;
        else m[at] = m[at]! ^ (1 << Math.floor(rnd() * 8));
      }
      const cut = rnd() < 0.2 ? m.subarray(0, Math.floor(rnd() * m.length)) : m;
      const t0 = performance.now();
      try {
        if (i % samples.length < 3) await passiveAuthentication(cut, new Map(), { trust: empty(), now: NOW });
        else {
          parseDg1(cut);
          parseDg11(cut);
          parseDg13(cut);
          extractFace(cut);
        }
      } catch (e) {
        assert.ok(e instanceof AppError && e.status >= 400 && e.status < 500, `mutation ${i}: ${String(e)}`);
        rejected++;
      }
      assert.ok(performance.now() - t0 < 2_000, `mutation ${i} took too long`);
    }
    assert.ok(rejected > 0);
    assert.ok(performance.now() - started < 60_000);
  });
});
