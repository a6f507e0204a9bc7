import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestApp, type TestApp } from '../../../test/app.ts';
import { onBothEngines } from '../../../test/db.ts';
import { b64, makeChip, makePki, sharedFile } from '../../../test/fixtures/chip/vn-chip.ts';

type Res = { statusCode: number; headers: Record<string, unknown>; json(): unknown };

function expectProblem(res: Res, status: number, code: string) {
  assert.equal(res.statusCode, status, JSON.stringify(res.json()));
  assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
  assert.equal((res.json() as { code: string }).code, code);
}

describe('POST /v1/chip/verify and the CSCA trust store over HTTP', () => {
  let t: TestApp;
  let auth: Record<string, string>;
  const pki = makePki({ cscaAlg: 'ec-brainpool256', dsAlg: 'ec-p256' });
  const chip = makeChip(pki);
  const body = {
    sod: b64(chip.sod),
    com: b64(chip.com),
    dg1: b64(chip.dgs.get(1)!),
    dg2: b64(chip.dgs.get(2)!),
    dg13: b64(chip.dgs.get(13)!),
  };
  before(async () => {
    t = await createTestApp();
    auth = { authorization: `Bearer ${t.seed.demoApiKey}` };
  });
  after(() => t.close());

  const verify = (payload: unknown, headers: Record<string, string> = auth) =>
    t.app.inject({ method: 'POST', url: '/v1/chip/verify', headers, payload: payload as object });

  test('a Vietnamese chip is issuer_not_trusted until its CSCA is installed by an admin, then trusted', async () => {
    const before = await verify(body);
    assert.equal(before.statusCode, 200);
    const pa0 = before.json().passive_authentication;
    assert.equal(pa0.chain, 'issuer_not_trusted');
    assert.equal(pa0.sod_signature, 'valid');
    assert.ok(pa0.data_groups.every((d: { hash: string }) => d.hash === 'match'));

    const admin = await t.login('admin@ekyc.local');
    const pem = `-----BEGIN CERTIFICATE-----\n${b64(pki.csca.der).replace(/(.{64})/g, '$1\n')}\n-----END CERTIFICATE-----\n`;
    const inst = await admin.request({ method: 'POST', url: '/api/trust/csca', payload: { data: pem } });
    assert.equal(inst.statusCode, 201, inst.body);
    assert.equal(inst.json().installed, 1);
    const again = await admin.request({
      method: 'POST',
      url: '/api/trust/csca',
      payload: { data: b64(pki.csca.der) },
    });
    assert.equal(again.json().already_present, 1);

    const res = await verify(body);
    assert.equal(res.statusCode, 200);
    const r = res.json();
    assert.equal(r.passive_authentication.chain, 'trusted');
    assert.equal(r.passive_authentication.hash_algorithm, 'sha256');
    assert.equal(r.data.dg13.full_name, 'Nguyễn Thị Thu Hương');
    assert.equal(r.data.mrz.format, 'TD1');
    assert.equal(r.checks.find((c: { code: string }) => c.code === 'DG13_MATCHES_DG1').status, 'pass');
    assert.equal(Buffer.from(r.data.face_image, 'base64').subarray(0, 3).toString('hex'), 'ffd8ff');
    assert.equal(r.face_match, null);

    const list = await admin.request({ method: 'GET', url: '/api/trust/csca?country=VN' });
    assert.equal(list.statusCode, 200);
    assert.ok(list.json().items.some((i: { subject: string }) => i.subject.includes('CSCA VN TEST')));
  });

  test("a selfie is matched against the chip's DG2 face: the same person matches, another does not", async () => {
    const same = sharedFile('faces/face_recognition_examples/obama_variants/obama-480p.jpg');
    const other = sharedFile('faces/faceapi_bbt/sheldon/sheldon1.png');
    const match = await verify({ ...body, selfie: b64(same) });
    assert.equal(match.statusCode, 200, match.body);
    assert.equal(match.json().face_match.match, true);
    const mismatch = await verify({ ...body, selfie: b64(other) });
    assert.equal(mismatch.json().face_match.match, false);
    assert.ok(mismatch.json().face_match.similarity < match.json().face_match.similarity);
  });

  test('a tampered DG13 shows as a mismatch over HTTP', async () => {
    const dg13 = Buffer.from(chip.dgs.get(13)!);
    dg13[dg13.length - 3]! ^= 0x01;
    const res = await verify({ ...body, dg13: dg13.toString('base64') });
    assert.equal(res.statusCode, 200);
    const d = res.json().passive_authentication.data_groups.find((x: { dg: number }) => x.dg === 13);
    assert.equal(d.hash, 'mismatch');
  });

  test('the verify endpoint needs an API key; the trust store needs an admin', async () => {
    expectProblem(await verify(body, {}), 401, 'ERR_INVALID_API_KEY');
    expectProblem(await t.app.inject({ method: 'GET', url: '/api/trust/csca' }), 401, 'ERR_UNAUTHENTICATED');
    const support = t.seed.logins.find((l) => l.role !== 'admin' && l.password);
    if (support) {
      const user = await t.login(support.email, support.password!);
      expectProblem(await user.request({ method: 'GET', url: '/api/trust/csca' }), 403, 'ERR_FORBIDDEN');
    }
  });

  test('bad input gets 4xx problem+json with a code', async () => {
    expectProblem(await verify({ sod: '!!!not base64!!!' }), 400, 'ERR_CHIP_NOT_BASE64');
    expectProblem(
      await verify({ sod: Buffer.from('just some text').toString('base64') }),
      422,
      'ERR_CHIP_ASN1',
    );
    expectProblem(await verify({ sod: b64(chip.sod.subarray(0, 300)) }), 422, 'ERR_CHIP_ASN1');
    expectProblem(
      await verify({ sod: b64(Uint8Array.of(0x30, 0x03, 0x02, 0x01, 0x00)) }),
      422,
      'ERR_CHIP_SOD_STRUCTURE',
    );
    const deep = Buffer.alloc(4000);
    for (let i = 0; i < deep.length; i += 2) deep.set([0x30, 0x80], i);
    expectProblem(await verify({ sod: deep.toString('base64') }), 422, 'ERR_CHIP_ASN1_TOO_DEEP');
    expectProblem(await verify({ dg1: body.dg1 }), 400, 'ERR_VALIDATION');
    expectProblem(await verify({ ...body, dg99: 'AAAA' }), 400, 'ERR_VALIDATION');
    const text = await t.app.inject({
      method: 'POST',
      url: '/v1/chip/verify',
      headers: { ...auth, 'content-type': 'text/plain' },
      payload: 'sod=abc',
    });
    expectProblem(text, 415, 'ERR_UNSUPPORTED_MEDIA_TYPE');
    const admin = await t.login('admin@ekyc.local');
    const bad = await admin.request({
      method: 'POST',
      url: '/api/trust/csca',
      payload: { data: b64(Buffer.from('nope')) },
    });
    assert.ok(bad.statusCode >= 400 && bad.statusCode < 500);
    assert.match(String(bad.headers['content-type']), /problem\+json/);
  });

  test("the German specimen's JPEG2000 face comes back as a JPEG", async () => {
    const dir = 'emrtd/jmrtd_bsi2008_DE_specimen/';
    const res = await verify({
      sod: sharedFile(`${dir}EF_SOD.bin`).toString('base64'),
      dg1: sharedFile(`${dir}Datagroup1.bin`).toString('base64'),
      dg2: sharedFile(`${dir}Datagroup2.bin`).toString('base64'),
    });
    assert.equal(res.statusCode, 200);
    const r = res.json();
    assert.equal(r.data.face.original_format, 'jpeg2000');
    assert.equal(r.data.face.transcoded, true);
    assert.equal(r.data.mrz.surname, 'MUSTERMANN');
    assert.equal(r.passive_authentication.chain, 'issuer_not_trusted');
  });
  test('the German master list installs through the admin endpoint with its signature verified', async () => {
    const admin = await t.login('admin@ekyc.local');
    const root = await admin.request({
      method: 'POST',
      url: '/api/trust/csca',
      payload: { data: sharedFile('emrtd/csca/DE_ROOT_CA_CSCA07.cer').toString('base64') },
    });
    assert.equal(root.statusCode, 201, root.body);
    const res = await admin.request({
      method: 'POST',
      url: '/api/trust/csca',
      payload: { data: sharedFile('emrtd/csca/DE_ML_2026-05-28-08-28-45.ml').toString('base64') },
    });
    assert.equal(res.statusCode, 201, res.body);
    const out = res.json();
    assert.equal(out.kind, 'master_list');
    assert.equal(out.master_list.signer_chain, 'trusted');
    assert.ok(out.installed + out.already_present >= 580);
    const vn = await admin.request({ method: 'GET', url: '/api/trust/csca?country=VN' });
    assert.ok(vn.json().total >= 1);
    const tampered = sharedFile('emrtd/csca/DE_ML_2026-05-28-08-28-45.ml');
    tampered[5000]! ^= 0x01;
    const bad = await admin.request({
      method: 'POST',
      url: '/api/trust/csca',
      payload: { data: tampered.toString('base64'), type: 'master_list' },
    });
    expectProblem(bad, 422, 'ERR_CHIP_MASTER_LIST');
  });
});

onBothEngines("Vietnam's e-passport CSCA installs once and is listed", async (engine) => {
  const t = await createTestApp({ engine });
  try {
    const admin = await t.login('admin@ekyc.local');
    const data = sharedFile('emrtd/csca/VN_CSCA_ePassport_Vietnam_2022.der').toString('base64');
    const first = await admin.request({ method: 'POST', url: '/api/trust/csca', payload: { data } });
    assert.equal(first.statusCode, 201, first.body);
    assert.equal(first.json().installed, 1);
    const second = await admin.request({ method: 'POST', url: '/api/trust/csca', payload: { data } });
    assert.deepEqual([second.json().installed, second.json().already_present], [0, 1]);
    const list = await admin.request({ method: 'GET', url: '/api/trust/csca?country=VN' });
    assert.equal(list.json().total, 1);
    assert.equal(list.json().items[0].not_after.slice(0, 4), '2037');
  } finally {
    await t.close();
  }
});
