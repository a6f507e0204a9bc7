import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestApp, type TestApp } from '../../../test/app.ts';
import { publicApiOf } from './sessions.routes.ts';
import { multipartFile, sharedFace } from './test-helpers.ts';

const AMY1 = sharedFace('faceapi_bbt/amy/amy1.png');
const AMY2 = sharedFace('faceapi_bbt/amy/amy2.png');
const AMY3 = sharedFace('faceapi_bbt/amy/amy3.png');
const SHELDON = sharedFace('faceapi_bbt/sheldon/sheldon1.png');

describe('verification sessions end to end through HTTP', () => {
  let t: TestApp;
  let auth: Record<string, string>;
  before(async () => {
    t = await createTestApp();
    auth = { authorization: `Bearer ${t.seed.demoApiKey}` };
  });
  after(() => t.close());

  const create = async (body: object, headers: Record<string, string> = {}) =>
    t.app.inject({ method: 'POST', url: '/v1/sessions', headers: { ...auth, ...headers }, payload: body });
  const upload = async (id: string, path: string, file: Buffer, headers: Record<string, string> = {}) => {
    const m = multipartFile(file);
    return t.app.inject({
      method: 'PUT',
      url: `/v1/sessions/${id}/${path}`,
      headers: { ...auth, ...headers, 'content-type': m.contentType },
      payload: m.payload,
    });
  };
  const usage = async (kind?: string) => {
    const [r] = await t.db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM usage_events WHERE customer_id = $1 AND ($2::text IS NULL OR kind = $2)',
      [t.seed.demoCustomerId, kind ?? null],
    );
    return r!.n;
  };
  async function runFaceSession(reference: Buffer, selfie: Buffer, extra: object = {}) {
    const res = await create({ reference_id: 'ref-1', checks: ['face'], ...extra });
    assert.equal(res.statusCode, 201, res.body);
    const id = res.json().id as string;
    assert.equal((await upload(id, 'documents/front', reference)).statusCode, 200);
    assert.equal((await upload(id, 'selfie', selfie)).statusCode, 200);
    const sub = await t.app.inject({ method: 'POST', url: `/v1/sessions/${id}/submit`, headers: auth });
    assert.equal(sub.statusCode, 202, sub.body);
    await publicApiOf(t.ctx).sessions.process(id);
    const got = await t.app.inject({ method: 'GET', url: `/v1/sessions/${id}`, headers: auth });
    assert.equal(got.statusCode, 200);
    return got.json();
  }

  test('create answers a capture link, an expiry and only the checks that exist', async () => {
    const res = await create({ reference_id: 'loan-1', checks: ['face'] });
    assert.equal(res.statusCode, 201, res.body);
    const body = res.json();
    assert.match(body.id, /^ses_/);
    assert.equal(body.status, 'created');
    assert.match(body.capture_url, /\/capture\/cap_[A-Za-z0-9_-]+$/);
    assert.equal(new Date(body.expires_at).getTime() - t.clock.now().getTime(), 30 * 60_000);
  });

  test('every engine is offered: a session may ask for document, face, liveness and chip together', async () => {
    const res = await create({ reference_id: 'x', checks: ['document', 'face', 'liveness', 'chip'] });
    assert.equal(res.statusCode, 201, res.body);
    assert.deepEqual(res.json().checks, ['document', 'face', 'liveness', 'chip']);
    const bad = await create({ reference_id: 'x', checks: ['face', 'palm'] });
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.json().code, 'ERR_VALIDATION');
  });

  test('the same face is approved, billed once for its one check, with evidence and rule version', async () => {
    const before = await usage('face_match');
    const s = await runFaceSession(AMY1, AMY2);
    assert.equal(s.status, 'approved', JSON.stringify(s.reasons));
    assert.ok(s.scores.face.similarity >= 0.5);
    assert.equal(s.decision.rule_version, 0);
    assert.deepEqual(
      s.evidence.find((e: { field: string }) => e.field === 'face'),
      { field: 'face', source: 'document_front' },
    );
    assert.equal((await usage('face_match')) - before, 1);
    // Processing twice (a job retried) changes nothing and bills nothing more.
    await publicApiOf(t.ctx).sessions.process(s.id);
    assert.equal((await usage('face_match')) - before, 1);
  });

  test('another person is declined for FACE_MISMATCH', async () => {
    const s = await runFaceSession(AMY1, SHELDON);
    assert.equal(s.status, 'declined');
    assert.ok(s.reason_codes.includes('FACE_MISMATCH'));
    assert.ok(s.scores.face.similarity < 0.5);
  });

  test('the same face approved under another ID number goes to review; a reviewer decides', async () => {
    const first = await runFaceSession(AMY1, AMY2, { id_number: '001090000001' });
    assert.equal(first.status, 'approved');
    const second = await runFaceSession(AMY2, AMY3, { id_number: '001090000002' });
    assert.equal(second.status, 'review');
    assert.ok(second.reason_codes.includes('DUPLICATE_FACE'));
    // The same person coming back with the same ID number is not a duplicate.
    const again = await runFaceSession(AMY2, AMY3, { id_number: '001090000001' });
    assert.equal(again.status, 'approved');

    const admin = await t.login('admin@ekyc.local');
    const queue = await admin.request({ method: 'GET', url: '/api/verification-sessions?status=review' });
    assert.ok(queue.json().items.some((i: { id: string }) => i.id === second.id));
    const res = await admin.request({
      method: 'POST',
      url: `/api/verification-sessions/${second.id}/review`,
      payload: { decision: 'declined', note: 'same face, other ID' },
    });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().status, 'declined');
    const twice = await admin.request({
      method: 'POST',
      url: `/api/verification-sessions/${second.id}/review`,
      payload: { decision: 'approved' },
    });
    assert.equal(twice.json().code, 'ERR_REVIEW_STATE');
  });

  test('an idle session expires; uploads to it are refused', async () => {
    const res = await create({ reference_id: 'idle', checks: ['face'] });
    const id = res.json().id;
    t.clock.advance(31 * 60_000);
    assert.ok((await publicApiOf(t.ctx).sessions.expireIdle()) >= 1);
    const got = await t.app.inject({ method: 'GET', url: `/v1/sessions/${id}`, headers: auth });
    assert.equal(got.json().status, 'expired');
    const up = await upload(id, 'selfie', AMY1);
    assert.equal(up.statusCode, 409);
    assert.equal(up.json().code, 'ERR_SESSION_STATE');
  });

  test("when the customer's contract ends, its open sessions expire at once", async () => {
    const id = (await create({ reference_id: 'contract-ends', checks: ['face'] })).json().id;
    const [contract] = await t.db.query<{ end_date: string }>(
      `SELECT to_char(end_date, 'YYYY-MM-DD') AS end_date FROM contracts WHERE id = 'ctr_demobank'`,
    );
    try {
      await t.db.query(`UPDATE contracts SET cancel_effective_date = $1 WHERE id = 'ctr_demobank'`, [
        '2026-11-24',
      ]);
      assert.ok((await publicApiOf(t.ctx).sessions.expireIdle()) >= 1);
      const [row] = await t.db.query<{ status: string }>(
        'SELECT status FROM verification_sessions WHERE id = $1',
        [id],
      );
      assert.equal(row!.status, 'expired');
    } finally {
      await t.db.query(`UPDATE contracts SET cancel_effective_date = NULL WHERE id = 'ctr_demobank'`);
      assert.ok(contract!.end_date > '2026-11-24');
    }
  });

  test('a file that is not an image is refused at upload with its own code', async () => {
    const id = (await create({ reference_id: 'bad', checks: ['face'] })).json().id;
    const res = await upload(id, 'selfie', Buffer.from('definitely not an image'));
    assert.equal(res.statusCode, 422);
    assert.equal(res.json().code, 'ERR_UPLOAD_INVALID');
    const sub = await t.app.inject({ method: 'POST', url: `/v1/sessions/${id}/submit`, headers: auth });
    assert.equal(sub.json().code, 'ERR_SESSION_INCOMPLETE');
    const chip = await t.app.inject({
      method: 'PUT',
      url: `/v1/sessions/${id}/chip`,
      headers: auth,
      payload: { sod: 'AAAA' },
    });
    assert.equal(chip.json().code, 'ERR_UPLOAD_NOT_REQUESTED');
  });

  test('Idempotency-Key replays the first answer and refuses another body with 422', async () => {
    const key = { 'idempotency-key': 'create-abc-1' };
    const a = await create({ reference_id: 'idem', checks: ['face'] }, key);
    const b = await create({ reference_id: 'idem', checks: ['face'] }, key);
    assert.equal(a.statusCode, 201);
    assert.equal(b.statusCode, 201);
    assert.equal(b.headers['idempotent-replayed'], 'true');
    assert.equal(b.json().id, a.json().id);
    const c = await create({ reference_id: 'other', checks: ['face'] }, key);
    assert.equal(c.statusCode, 422);
    assert.equal(c.json().code, 'ERR_IDEMPOTENCY_KEY_REUSED');
    // Upload retries: same file → replay; another file under the same key → 422.
    const id = a.json().id;
    const u1 = await upload(id, 'selfie', AMY1, { 'idempotency-key': 'up-1' });
    const u2 = await upload(id, 'selfie', AMY1, { 'idempotency-key': 'up-1' });
    assert.equal(u2.headers['idempotent-replayed'], 'true');
    assert.equal(u2.body, u1.body);
    const u3 = await upload(id, 'selfie', AMY2, { 'idempotency-key': 'up-1' });
    assert.equal(u3.statusCode, 422);
  });

  test('the hosted capture link uploads with its token and never shows extracted data', async () => {
    const created = (await create({ reference_id: 'cap', checks: ['face'] })).json();
    const token = created.capture_url.split('/').pop();
    const info = await t.app.inject({ method: 'GET', url: `/v1/capture/${token}` });
    assert.equal(info.statusCode, 200);
    assert.equal(info.json().id, created.id);
    const m = multipartFile(AMY1);
    const up = await t.app.inject({
      method: 'PUT',
      url: `/v1/capture/${token}/selfie`,
      headers: { 'content-type': m.contentType },
      payload: m.payload,
    });
    assert.equal(up.statusCode, 200, up.body);
    assert.equal(up.json().status, 'collecting');
    const bad = await t.app.inject({ method: 'GET', url: `/v1/capture/cap_${'x'.repeat(32)}` });
    assert.equal(bad.statusCode, 401);
    assert.equal(bad.json().code, 'ERR_CAPTURE_TOKEN');
  });

  test('the capture page runs liveness with its token: challenge, then frames checked at once', async () => {
    const created = (await create({ reference_id: 'cap-live', checks: ['liveness'] })).json();
    const token = created.capture_url.split('/').pop();
    const c = await t.app.inject({ method: 'POST', url: `/v1/capture/${token}/liveness` });
    assert.equal(c.statusCode, 201, c.body);
    assert.match(c.json().id, /^lvc_/);
    assert.ok(c.json().actions.length >= 2);
    const frames = (challengeId: string, n: number) => {
      const boundary = '----live';
      const parts = [
        `--${boundary}\r\nContent-Disposition: form-data; name="challenge_id"\r\n\r\n${challengeId}\r\n`,
      ];
      for (let i = 0; i < n; i++)
        parts.push(
          `--${boundary}\r\nContent-Disposition: form-data; name="frames"; filename="f${i}.jpg"\r\nContent-Type: image/jpeg\r\n\r\nx\r\n`,
        );
      parts.push(
        `--${boundary}\r\nContent-Disposition: form-data; name="timestamps"\r\n\r\n${[...Array(n).keys()].map((i) => i * 100).join(',')}\r\n--${boundary}--\r\n`,
      );
      return {
        payload: parts.join(''),
        headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
      };
    };
    const few = frames(c.json().id, 3);
    const r1 = await t.app.inject({ method: 'POST', url: `/v1/capture/${token}/liveness`, ...few });
    assert.equal(r1.statusCode, 400);
    assert.equal(r1.json().code, 'ERR_LIVENESS_FRAMES_COUNT');
    const wrong = frames(`lvc_${'a'.repeat(20)}`, 6);
    const r2 = await t.app.inject({ method: 'POST', url: `/v1/capture/${token}/liveness`, ...wrong });
    assert.equal(r2.statusCode, 409);
    assert.equal(r2.json().code, 'ERR_LIVENESS_CHALLENGE_MISMATCH');
    // Only the issued challenge counts as nothing uploaded yet: submit is refused.
    const sub = await t.app.inject({ method: 'POST', url: `/v1/capture/${token}/submit` });
    assert.equal(sub.json().code, 'ERR_SESSION_INCOMPLETE');
    // A session that did not ask for liveness refuses a challenge.
    const face = (await create({ reference_id: 'no-live', checks: ['face'] })).json();
    const no = await t.app.inject({ method: 'POST', url: `/v1/sessions/${face.id}/liveness`, headers: auth });
    assert.equal(no.statusCode, 409);
    assert.equal(no.json().code, 'ERR_UPLOAD_NOT_REQUESTED');
  });

  test('list paginates with a cursor and filters by status; a bad cursor is a 400', async () => {
    const seen = new Set<string>();
    let cursor: string | null = null;
    let pages = 0;
    do {
      const q: string = cursor ? `&cursor=${cursor}` : '';
      const res = await t.app.inject({ method: 'GET', url: `/v1/sessions?limit=2${q}`, headers: auth });
      assert.equal(res.statusCode, 200, res.body);
      for (const i of res.json().items) seen.add(i.id);
      cursor = res.json().next_cursor;
      pages++;
    } while (cursor && pages < 50);
    const [all] = await t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM verification_sessions');
    assert.equal(seen.size, all!.n);
    const approved = await t.app.inject({
      method: 'GET',
      url: '/v1/sessions?status=approved',
      headers: auth,
    });
    assert.ok(approved.json().items.every((i: { status: string }) => i.status === 'approved'));
    const bad = await t.app.inject({ method: 'GET', url: '/v1/sessions?cursor=nonsense', headers: auth });
    assert.equal(bad.json().code, 'ERR_CURSOR');
  });

  test('DELETE erases personal data but keeps the usage events', async () => {
    const s = await runFaceSession(AMY1, AMY2, { id_number: '001090000009' });
    const before = await usage();
    const del = await t.app.inject({ method: 'DELETE', url: `/v1/sessions/${s.id}`, headers: auth });
    assert.equal(del.statusCode, 204);
    const got = (await t.app.inject({ method: 'GET', url: `/v1/sessions/${s.id}`, headers: auth })).json();
    assert.equal(got.erased, true);
    assert.deepEqual(got.extracted, {});
    assert.deepEqual(got.uploads, []);
    assert.equal(got.reference_id, '');
    assert.equal(await usage(), before);
  });

  test('reads are not billable; a customer over its rate limit gets 429 with Retry-After', async () => {
    const before = await usage();
    await t.db.query(
      'INSERT INTO customer_rate_limits (customer_id, requests_per_second, burst) VALUES ($1, 0.01, 3)',
      [t.seed.demoCustomerId],
    );
    publicApiOf(t.ctx).rateLimiter.invalidate();
    const codes: number[] = [];
    for (let i = 0; i < 5; i++) {
      codes.push(
        (await t.app.inject({ method: 'GET', url: '/v1/sessions?limit=1', headers: auth })).statusCode,
      );
    }
    assert.ok(codes.includes(429), codes.join(','));
    const res = await t.app.inject({ method: 'GET', url: '/v1/sessions?limit=1', headers: auth });
    assert.equal(res.json().code, 'ERR_RATE_LIMITED');
    assert.ok(Number(res.headers['retry-after']) >= 1);
    assert.equal(await usage(), before);
    await t.db.query('DELETE FROM customer_rate_limits WHERE customer_id = $1', [t.seed.demoCustomerId]);
    publicApiOf(t.ctx).rateLimiter.invalidate();
  });
});
