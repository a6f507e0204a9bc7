import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestApp, type TestApp } from '../../../test/app.ts';
import { type Engine, onBothEngines } from '../../../test/db.ts';
import { b64, CITIZEN, makeChip, makePki } from '../../../test/fixtures/chip/vn-chip.ts';
import { faceFile } from '../../../test/fixtures/faces/data.ts';
import { CryptoError } from '../../lib/crypto/envelope.ts';
import { envelopeFor } from '../../lib/crypto/keys.ts';
import { publicApiOf } from './sessions.routes.ts';
import { openSessionPersonalData } from './sessions.service.ts';
import { multipartFile } from './test-helpers.ts';

/**
 * Personal data of sessions at rest: uploads, extracted fields and the declared ID number are sealed
 * under the customer's data key; consent is recorded; a crypto-shredded customer's sessions answer
 * 410 ERR_DATA_ERASED and their ciphertext no longer opens.
 */
const SELFIE = faceFile('face_recognition_examples/knn_examples/train/obama/obama2.jpg');
const NAME = Buffer.from(CITIZEN.full_name, 'utf8');
const ID_NUMBER = Buffer.from(CITIZEN.id_number, 'utf8');

function api(t: TestApp) {
  const auth = { authorization: `Bearer ${t.seed.demoApiKey}` };
  return {
    auth,
    create: (body: object) =>
      t.app.inject({ method: 'POST', url: '/v1/sessions', headers: auth, payload: body }),
    async upload(id: string, path: string, file: Buffer) {
      const m = multipartFile(file, 'selfie.jpg', 'image/jpeg');
      return t.app.inject({
        method: 'PUT',
        url: `/v1/sessions/${id}/${path}`,
        headers: { ...auth, 'content-type': m.contentType },
        payload: m.payload,
      });
    },
    get: (id: string) => t.app.inject({ method: 'GET', url: `/v1/sessions/${id}`, headers: auth }),
  };
}

const rawUploads = (t: TestApp, id: string) =>
  t.db.query<{ slot: string; content: Uint8Array }>(
    'SELECT slot, content FROM session_uploads WHERE session_id = $1 ORDER BY slot',
    [id],
  );

describe('session personal data is sealed at rest and consent is recorded', () => {
  let t: TestApp;
  let a: ReturnType<typeof api>;
  let finished: string;
  const chip = makeChip(makePki({ now: new Date('2026-11-24T03:00:00Z') }));
  const chipFiles: Record<string, string> = { sod: b64(chip.sod), com: b64(chip.com) };
  for (const [n, dg] of chip.dgs) chipFiles[`dg${n}`] = b64(dg);

  before(async () => {
    t = await createTestApp();
    a = api(t);
  });
  after(() => t?.close());

  test('uploads, extracted fields and the declared ID number hold no JPEG bytes, name or ID number in the database; reads open them', async () => {
    const created = await a.create({
      reference_id: 'enc-1',
      checks: ['face', 'chip'],
      id_number: CITIZEN.id_number,
      consent: { text_version: 'mbf-ekyc-2026.1', text: 'Tôi đồng ý …', ip: '203.0.113.7' },
    });
    assert.equal(created.statusCode, 201, created.body);
    finished = created.json().id;
    assert.equal((await a.upload(finished, 'selfie', SELFIE)).statusCode, 200);
    const put = await t.app.inject({
      method: 'PUT',
      url: `/v1/sessions/${finished}/chip`,
      headers: a.auth,
      payload: chipFiles,
    });
    assert.equal(put.statusCode, 200, put.body);
    const sub = await t.app.inject({
      method: 'POST',
      url: `/v1/sessions/${finished}/submit`,
      headers: a.auth,
    });
    assert.equal(sub.statusCode, 202, sub.body);
    await publicApiOf(t.ctx).sessions.process(finished);

    // At rest: no plaintext anywhere in the session's rows.
    const uploads = await rawUploads(t, finished);
    assert.deepEqual(
      uploads.map((u) => u.slot),
      ['chip', 'selfie'],
    );
    for (const u of uploads) {
      const raw = Buffer.from(u.content);
      assert.equal(raw.subarray(0, 4).toString('latin1'), 'EKE1', `${u.slot} is sealed`);
      assert.ok(!raw.includes(SELFIE.subarray(0, 64)) && !raw.includes(SELFIE.subarray(-64)), u.slot);
      assert.ok(!raw.includes(chip.faceJpeg.subarray(0, 64)), u.slot);
      assert.ok(!raw.includes(Buffer.from(chipFiles.dg13!)), `${u.slot}: DG13 as sent`);
      assert.ok(!raw.includes(NAME) && !raw.includes(ID_NUMBER), u.slot);
    }
    const [row] = await t.db.query<{ result: string; declared: string }>(
      'SELECT result::text AS result, declared::text AS declared FROM verification_sessions WHERE id = $1',
      [finished],
    );
    assert.ok(row?.result, 'the session has a result');
    for (const text of [row.result, row.declared]) {
      assert.ok(!text.includes(CITIZEN.full_name), 'no name');
      assert.ok(!text.includes(CITIZEN.id_number), 'no ID number');
      assert.ok(!text.includes(CITIZEN.mrz_surname), 'no MRZ name');
    }

    // Read back through the API: the fields are there.
    const got = await a.get(finished);
    assert.equal(got.statusCode, 200, got.body);
    const s = got.json();
    assert.ok(['approved', 'declined', 'review'].includes(s.status), s.status);
    assert.equal(s.extracted.full_name, CITIZEN.full_name);
    assert.equal(s.extracted.id_number, CITIZEN.id_number);
    assert.ok(s.evidence.some((e: { source: string }) => e.source === 'chip.dg13'));

    // And the stored selfie opens to the very bytes uploaded, only in its own slot.
    const envelope = await envelopeFor(t.ctx);
    const selfie = uploads.find((u) => u.slot === 'selfie')!.content;
    assert.deepEqual(await envelope.open(`upload:${finished}/selfie`, selfie), SELFIE);
    await assert.rejects(envelope.open(`upload:${finished}/document_front`, selfie), CryptoError);

    // Other modules reading the table directly (data-subject export) open the row with the helper.
    const [stored] = await t.db.query<{ id: string; result: unknown; declared: unknown }>(
      'SELECT id, result, declared FROM verification_sessions WHERE id = $1',
      [finished],
    );
    const opened = await openSessionPersonalData(envelope, stored!);
    assert.equal(opened.declared.id_number, CITIZEN.id_number);
    assert.equal(opened.result?.extracted.full_name, CITIZEN.full_name);

    // The data subject's export hands the data back opened, not as ciphertext.
    const exported = await t.app.inject({
      method: 'POST',
      url: '/v1/data-subjects/export',
      headers: { authorization: `Bearer ${t.seed.demoApiKey}` },
      payload: { session_id: finished },
    });
    assert.equal(exported.statusCode, 200, exported.body);
    assert.equal(exported.json().sessions[0].result.extracted.full_name, CITIZEN.full_name);
    assert.equal(exported.json().sessions[0].declared.id_number, CITIZEN.id_number);

    // Consent recorded with the session, in the same transaction.
    const consents = await t.db.query<{ text_version: string; ip: string; text_sha256: string | null }>(
      'SELECT text_version, ip, text_sha256 FROM consents WHERE session_id = $1',
      [finished],
    );
    assert.equal(consents.length, 1);
    assert.equal(consents[0]!.text_version, 'mbf-ekyc-2026.1');
    assert.equal(consents[0]!.ip, '203.0.113.7');
    assert.match(consents[0]!.text_sha256 ?? '', /^[0-9a-f]{64}$/);
  });

  test("the capture page's consent step records the text version, the time and the applicant's IP", async () => {
    const created = await a.create({ reference_id: 'enc-2', checks: ['face'] });
    const { id, capture_url: url } = created.json() as { id: string; capture_url: string };
    const token = url.split('/').pop()!;
    const res = await t.app.inject({
      method: 'POST',
      url: `/v1/capture/${token}/consent`,
      payload: { text_version: 'mbf-ekyc-2026.1' },
      remoteAddress: '198.51.100.23',
    });
    assert.equal(res.statusCode, 201, res.body);
    assert.equal(res.json().session_id, id);
    const [c] = await t.db.query<{ ip: string; purpose: string; granted_at: Date }>(
      'SELECT ip, purpose, granted_at FROM consents WHERE session_id = $1',
      [id],
    );
    assert.equal(c?.ip, '198.51.100.23');
    assert.equal(c?.purpose, 'ekyc_verification');
    assert.equal(c?.granted_at.toISOString(), t.clock.now().toISOString());

    const bad = await t.app.inject({
      method: 'POST',
      url: `/v1/capture/${token}/consent`,
      payload: { text_version: 'has spaces and ; quotes' },
    });
    assert.equal(bad.statusCode, 400);
    const missing = await t.app.inject({ method: 'POST', url: `/v1/capture/${token}/consent`, payload: {} });
    assert.equal(missing.statusCode, 400);

    // The API-driven flow records it the same way.
    const viaApi = await t.app.inject({
      method: 'POST',
      url: `/v1/sessions/${id}/consent`,
      headers: a.auth,
      payload: { text_version: 'v2', ip: '2001:db8::1' },
    });
    assert.equal(viaApi.statusCode, 201, viaApi.body);
    const n = await t.db.query('SELECT 1 FROM consents WHERE session_id = $1', [id]);
    assert.equal(n.length, 2);
  });

  test('after crypto-shredding the customer its session data answers 410 ERR_DATA_ERASED and no longer opens', async () => {
    assert.ok(finished, 'runs after the first test');
    // A session left open with an upload, and one submitted but not yet processed.
    const open = (await a.create({ reference_id: 'enc-3', checks: ['face'] })).json().id as string;
    assert.equal((await a.upload(open, 'selfie', SELFIE)).statusCode, 200);
    const pending = (await a.create({ reference_id: 'enc-4', checks: ['face'] })).json().id as string;
    assert.equal((await a.upload(pending, 'selfie', SELFIE)).statusCode, 200);
    assert.equal((await a.upload(pending, 'documents/front', SELFIE)).statusCode, 200);
    await t.db.query(`UPDATE verification_sessions SET status = 'processing' WHERE id = $1`, [pending]);

    const envelope = await envelopeFor(t.ctx);
    assert.ok((await envelope.shred(t.seed.demoCustomerId!)) > 0);

    for (const id of [finished, open]) {
      const res = await a.get(id);
      assert.equal(res.statusCode, 410, res.body);
      assert.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8');
      assert.equal(res.json().code, 'ERR_DATA_ERASED');
      assert.ok(!res.body.includes(CITIZEN.full_name));
    }
    for (const u of await rawUploads(t, finished)) {
      await assert.rejects(
        envelope.open(`upload:${finished}/${u.slot}`, u.content),
        (e: unknown) => e instanceof CryptoError && e.reason === 'shredded',
      );
    }
    // New personal data for a shredded customer is refused, not keyed anew.
    const again = await a.upload(open, 'selfie', SELFIE);
    assert.equal(again.statusCode, 410, again.body);
    assert.equal(again.json().code, 'ERR_DATA_ERASED');
    // Processing gives up cleanly instead of failing forever.
    await publicApiOf(t.ctx).sessions.process(pending);
    const [p] = await t.db.query<{ status: string }>(
      'SELECT status FROM verification_sessions WHERE id = $1',
      [pending],
    );
    assert.equal(p?.status, 'abandoned');
    // The back-office queue still lists the sessions, without their scores.
    const admin = await t.login('admin@ekyc.local');
    const list = await admin.request({ method: 'GET', url: '/api/verification-sessions' });
    assert.equal(list.statusCode, 200, list.body);
    const item = list.json().items.find((i: { id: string }) => i.id === finished);
    assert.deepEqual(item?.scores, {});
    // Erasing the session still works and it then reads as erased.
    const del = await t.app.inject({ method: 'DELETE', url: `/v1/sessions/${finished}`, headers: a.auth });
    assert.equal(del.statusCode, 204, del.body);
    const erased = await a.get(finished);
    assert.equal(erased.statusCode, 200, erased.body);
    assert.equal(erased.json().erased, true);
  });
});

describe('the shredded-key check reads the ciphertext header in SQL', () => {
  onBothEngines('an upload reads back before shredding and answers 410 after', async (engine: Engine) => {
    const t = await createTestApp({ engine });
    try {
      const a = api(t);
      const id = (await a.create({ reference_id: 'enc-pg', checks: ['face', 'liveness'] })).json()
        .id as string;
      assert.equal((await a.upload(id, 'selfie', SELFIE)).statusCode, 200);
      // An issued liveness challenge holds no bytes yet: the empty row must not trip the header check.
      const challenge = await t.app.inject({
        method: 'POST',
        url: `/v1/sessions/${id}/liveness`,
        headers: a.auth,
      });
      assert.equal(challenge.statusCode, 201, challenge.body);
      const ok = await a.get(id);
      assert.equal(ok.statusCode, 200, ok.body);
      assert.deepEqual(
        ok.json().uploads.map((u: { slot: string }) => u.slot),
        ['liveness', 'selfie'],
      );
      await (await envelopeFor(t.ctx)).shred(t.seed.demoCustomerId!);
      const gone = await a.get(id);
      assert.equal(gone.statusCode, 410, gone.body);
      assert.equal(gone.json().code, 'ERR_DATA_ERASED');
    } finally {
      await t.close();
    }
  });
});
