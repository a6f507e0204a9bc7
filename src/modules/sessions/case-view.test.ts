import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestApp, type TestApp } from '../../../test/app.ts';
import { aCustomer, aUser } from '../../../test/builders.ts';
import { b64, CITIZEN, makeChip, makePki } from '../../../test/fixtures/chip/vn-chip.ts';
import { faceFile } from '../../../test/fixtures/faces/data.ts';
import { envelopeFor } from '../../lib/crypto/keys.ts';
import { sha256Hex } from '../../lib/hash.ts';
import { publicApiOf } from './sessions.routes.ts';
import { multipartFile } from './test-helpers.ts';

/**
 * The reviewer's case view: the session's detail and each stored image opened from its sealed
 * upload, for the customer's own admin and MobiFone staff only, never cached, each view audited.
 */
const FRONT = faceFile('face_recognition_examples/knn_examples/train/obama/obama.jpg');
const SELFIE = faceFile('face_recognition_examples/knn_examples/train/obama/obama2.jpg');
const FRAME = faceFile('face_recognition_examples/knn_examples/train/biden/biden.jpg');

describe('case view of a session in review', { timeout: 300_000 }, () => {
  let t: TestApp;
  let id: string;
  const auth = () => ({ authorization: `Bearer ${t.seed.demoApiKey}` });
  const chip = makeChip(makePki({ now: new Date('2026-11-24T03:00:00Z') }));
  const chipFiles: Record<string, string> = { sod: b64(chip.sod), com: b64(chip.com) };
  for (const [n, dg] of chip.dgs) chipFiles[`dg${n}`] = b64(dg);

  async function upload(sessionId: string, path: string, file: Buffer) {
    const m = multipartFile(file, 'image.jpg', 'image/jpeg');
    const res = await t.app.inject({
      method: 'PUT',
      url: `/v1/sessions/${sessionId}/${path}`,
      headers: { ...auth(), 'content-type': m.contentType },
      payload: m.payload,
    });
    assert.equal(res.statusCode, 200, res.body);
  }

  /** A processed face + chip session, then put in review (how it got there is the rules' business). */
  async function sessionInReview(): Promise<string> {
    const created = await t.app.inject({
      method: 'POST',
      url: '/v1/sessions',
      headers: auth(),
      payload: { reference_id: 'case-1', checks: ['face', 'chip'] },
    });
    assert.equal(created.statusCode, 201, created.body);
    const sid = created.json().id as string;
    await upload(sid, 'documents/front', FRONT);
    await upload(sid, 'selfie', SELFIE);
    const put = await t.app.inject({
      method: 'PUT',
      url: `/v1/sessions/${sid}/chip`,
      headers: auth(),
      payload: chipFiles,
    });
    assert.equal(put.statusCode, 200, put.body);
    // A liveness key frame as the liveness step keeps it: sealed in the session's `liveness` slot.
    const envelope = await envelopeFor(t.ctx);
    const sealed = await envelope.seal(t.seed.demoCustomerId!, `upload:${sid}/liveness`, FRAME);
    await t.db.query(
      `INSERT INTO session_uploads (session_id, slot, content, content_type, sha256, meta, created_at)
       VALUES ($1, 'liveness', $2, 'image/jpeg', $3, $4, $5)`,
      [
        sid,
        sealed,
        sha256Hex(FRAME),
        JSON.stringify({ challenge_id: 'lvc_x', state: 'verified' }),
        t.clock.now(),
      ],
    );
    const sub = await t.app.inject({ method: 'POST', url: `/v1/sessions/${sid}/submit`, headers: auth() });
    assert.equal(sub.statusCode, 202, sub.body);
    await publicApiOf(t.ctx).sessions.process(sid);
    await t.db.query(`UPDATE verification_sessions SET status = 'review' WHERE id = $1`, [sid]);
    return sid;
  }

  const imageViews = async (sid: string) =>
    (
      await t.db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM audit_log WHERE action = 'session.image_viewed' AND entity_id = $1`,
        [sid],
      )
    )[0]!.n;

  before(async () => {
    t = await createTestApp();
    id = await sessionInReview();
  });
  after(() => t?.close());

  test('the customer admin sees fields with sources, scores against thresholds, reasons and every image', async () => {
    const admin = await t.login('admin@demobank.vn');
    const res = await admin.request({ method: 'GET', url: `/api/verification-sessions/${id}` });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.headers['cache-control'], 'no-store');
    const c = res.json();
    assert.equal(c.status, 'review');
    assert.equal(c.extracted.full_name, CITIZEN.full_name);
    assert.ok(c.evidence.some((e: { source: string }) => e.source === 'chip.dg13'));
    assert.equal(typeof c.scores.face.similarity, 'number');
    assert.equal(c.scores.face.reference, 'chip.dg2');
    assert.ok(Array.isArray(c.scores.chip.checks) && c.scores.chip.checks.length > 0);
    assert.equal(c.decision.rule_version, 0);
    assert.deepEqual(c.thresholds.face, {
      decline_below: 0.5,
      review_below: 0.5,
      on_quality_issues: 'approve',
    });
    assert.deepEqual(
      c.images.map((i: { kind: string }) => i.kind),
      ['document_front', 'selfie', 'chip_face', 'liveness_frame'],
    );

    const expected: Record<string, Buffer> = {
      document_front: FRONT,
      selfie: SELFIE,
      chip_face: chip.faceJpeg,
      liveness_frame: FRAME,
    };
    const before = await imageViews(id);
    for (const img of c.images as Array<{ kind: string; url: string }>) {
      const r = await admin.request({ method: 'GET', url: img.url });
      assert.equal(r.statusCode, 200, `${img.kind}: ${r.body}`);
      assert.equal(r.headers['content-type'], 'image/jpeg', img.kind);
      assert.equal(r.headers['cache-control'], 'no-store', img.kind);
      assert.deepEqual(r.rawPayload, expected[img.kind], `${img.kind} opens to the bytes stored`);
    }
    assert.equal((await imageViews(id)) - before, 4, 'each image view is audited');
    const [line] = await t.db.query<{ actor_id: string; details: { image: string } }>(
      `SELECT actor_id, details FROM audit_log WHERE action = 'session.image_viewed' ORDER BY id DESC LIMIT 1`,
    );
    assert.equal(line?.details.image, 'liveness_frame');

    const missing = await admin.request({
      method: 'GET',
      url: `/api/verification-sessions/${id}/images/document_back`,
    });
    assert.equal(missing.statusCode, 404);
    assert.equal(missing.json().code, 'ERR_SESSION_IMAGE_NOT_FOUND');
    const bad = await admin.request({
      method: 'GET',
      url: `/api/verification-sessions/${id}/images/passport`,
    });
    assert.equal(bad.statusCode, 400);
  });

  test('MobiFone operator and admin see the images too', async () => {
    for (const email of ['operator@ekyc.local', 'admin@ekyc.local']) {
      const u = await t.login(email);
      const r = await u.request({ method: 'GET', url: `/api/verification-sessions/${id}/images/selfie` });
      assert.equal(r.statusCode, 200, `${email}: ${r.body}`);
      assert.deepEqual(r.rawPayload, SELFIE);
    }
  });

  test("another customer's admin, a CTKV user and an API key cannot open the case", async () => {
    const other = await aCustomer(t.db, { unitId: 'unt_ctkv1' });
    const otherAdmin = await aUser(t.db, { role: 'customer_admin', customerId: other });
    await t.db.query(
      `INSERT INTO units (id, kind, code, name) VALUES ('unt_case_other', 'ctkv', 'CTKV-CASE', 'Công ty Dịch vụ MobiFone khác')`,
    );
    const ctkv = await aUser(t.db, { role: 'unit_user', unitId: 'unt_case_other' });
    const before = await imageViews(id);
    const urls = [`/api/verification-sessions/${id}`, `/api/verification-sessions/${id}/images/selfie`];

    const o = await t.login(otherAdmin.email);
    for (const url of urls) {
      const r = await o.request({ method: 'GET', url });
      assert.equal(r.statusCode, 404, url);
      assert.equal(r.json().code, 'ERR_SESSION_NOT_FOUND');
    }
    for (const user of [await t.login(ctkv.email), await t.login('ctkv1@ekyc.local')]) {
      for (const url of urls) {
        const r = await user.request({ method: 'GET', url });
        assert.equal(r.statusCode, 403, url);
        assert.equal(r.json().code, 'ERR_FORBIDDEN');
      }
    }
    for (const url of urls) {
      const r = await t.app.inject({ method: 'GET', url, headers: auth() });
      assert.equal(r.statusCode, 401, `an API key is no back-office login: ${url}`);
      assert.equal(r.json().code, 'ERR_UNAUTHENTICATED');
    }
    assert.equal(await imageViews(id), before, 'refused views leave no trace of personal data');
  });

  test('after erasure the images are gone (404); after crypto-shredding the case answers 410', async () => {
    const admin = await t.login('admin@demobank.vn');
    const erased = await sessionInReview();
    const del = await t.app.inject({ method: 'DELETE', url: `/v1/sessions/${erased}`, headers: auth() });
    assert.equal(del.statusCode, 204, del.body);
    const view = await admin.request({ method: 'GET', url: `/api/verification-sessions/${erased}` });
    assert.equal(view.statusCode, 200, view.body);
    assert.equal(view.json().erased, true);
    assert.deepEqual(view.json().images, []);
    for (const kind of ['document_front', 'selfie', 'chip_face', 'liveness_frame']) {
      const r = await admin.request({
        method: 'GET',
        url: `/api/verification-sessions/${erased}/images/${kind}`,
      });
      assert.equal(r.statusCode, 404, kind);
      assert.equal(r.json().code, 'ERR_SESSION_IMAGE_NOT_FOUND');
    }

    await (await envelopeFor(t.ctx)).shred(t.seed.demoCustomerId!);
    for (const url of [
      `/api/verification-sessions/${id}`,
      `/api/verification-sessions/${id}/images/selfie`,
    ]) {
      const r = await admin.request({ method: 'GET', url });
      assert.equal(r.statusCode, 410, `${url}: ${r.body}`);
      assert.equal(r.json().code, 'ERR_DATA_ERASED');
      assert.equal(r.headers['cache-control'], 'no-store');
    }
    const chipFace = await admin.request({
      method: 'GET',
      url: `/api/verification-sessions/${id}/images/chip_face`,
    });
    assert.equal(chipFace.statusCode, 410);
  });
});
