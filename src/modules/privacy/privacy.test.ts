import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createTestApp, type TestApp } from '../../../test/app.ts';
import { aCustomer, aUser } from '../../../test/builders.ts';
import { type Engine, freshDatabase, onBothEngines } from '../../../test/db.ts';
import { loadConfig } from '../../config.ts';
import type { Database, Db } from '../../db/client.ts';
import { fixedClock } from '../../lib/clock.ts';
import { CryptoError, createEnvelope } from '../../lib/crypto/envelope.ts';
import { newId } from '../../lib/ids.ts';
import { createLocalBlobStore } from '../../lib/storage/blob-store.ts';
import { createPrivacyService } from './privacy.service.ts';

// The two service tests share one database per engine (their customers differ; retention runs first).
const shared = new Map<Engine, Promise<Database>>();
function sharedDb(engine: Engine): Promise<Database> {
  let db = shared.get(engine);
  if (!db) {
    db = freshDatabase(engine);
    shared.set(engine, db);
  }
  return db;
}
after(async () => {
  for (const db of shared.values()) await (await db).close();
});

const DAY = 86_400_000;
const NOW = new Date('2026-11-24T03:00:00Z');
const ago = (days: number) => new Date(NOW.getTime() - days * DAY);
const selfie = Buffer.concat([Buffer.from('JFIF selfie of Trần Văn Cường'), randomBytes(256)]);

/** A finished session `days` old with a selfie upload and extracted data. */
async function aSession(
  db: Db,
  customerId: string,
  days: number,
  o: { subjectRef?: string; status?: string } = {},
) {
  const id = newId('ses');
  await db.query(
    `INSERT INTO verification_sessions (id, customer_id, reference_id, checks, status, declared, result, subject_ref,
       created_at, updated_at, last_activity_at, completed_at)
     VALUES ($1, $2, $3, '["document","face"]', $4, '{"id_number":"079190001234"}',
       '{"fields":{"full_name":"TRẦN VĂN CƯỜNG"}}', $5, $6, $6, $6, $7)`,
    [
      id,
      customerId,
      `ref-${id}`,
      o.status ?? 'approved',
      o.subjectRef ?? null,
      ago(days),
      o.status === 'collecting' ? null : ago(days),
    ],
  );
  await db.query(
    `INSERT INTO session_uploads (session_id, slot, content, content_type, sha256, created_at)
     VALUES ($1, 'selfie', $2, 'image/jpeg', 'x', $3)`,
    [id, selfie, ago(days)],
  );
  return id;
}

async function state(db: Db, id: string) {
  const [s] = await db.query<{ result: unknown; erased_at: Date | null; uploads: number }>(
    `SELECT result, erased_at, (SELECT count(*)::int FROM session_uploads WHERE session_id = v.id) AS uploads
       FROM verification_sessions v WHERE id = $1`,
    [id],
  );
  return { uploads: s!.uploads, erased: s!.erased_at !== null, hasResult: s!.result !== null };
}

async function aContract(db: Db, customerId: string, status: string, end: string, cancelOn?: string) {
  await db.query(
    `INSERT INTO contracts (id, customer_id, edition, status, start_date, end_date, term_months, signing_unit_id,
       cancel_effective_date)
     VALUES ($1, $2, 'cloud_saas', $3, '2025-01-01', $4, 12, 'unt_ttcntt', $5)`,
    [newId('ctr'), customerId, status, end, cancelOn ?? null],
  );
}

onBothEngines(
  'retention: images go after the image period, extracted data after the result period, per customer',
  async (engine) => {
    const db = await sharedDb(engine);
    const dir = await mkdtemp(path.join(tmpdir(), 'ekyc-retention-'));
    try {
      const clock = fixedClock(NOW);
      const config = loadConfig({ NODE_ENV: 'test' }); // 30 days images, 365 days results
      const envelope = createEnvelope({ db, keyring: { current: randomBytes(32), previous: [] }, clock });
      const blobs = createLocalBlobStore({ dir, masterKey: randomBytes(32), envelope });
      const privacy = createPrivacyService({ db, clock, config, envelope, blobs });
      const a = await aCustomer(db);
      const b = await aCustomer(db);
      await privacy.setSettings(
        b,
        { imageRetentionDays: 7, resultRetentionDays: 365 },
        { type: 'system', id: null },
      );

      const fresh = await aSession(db, a, 5);
      const oldImages = await aSession(db, a, 40);
      const ancient = await aSession(db, a, 400);
      const open = await aSession(db, a, 400, { status: 'collecting' });
      const bTenDays = await aSession(db, b, 10);
      const aTenDays = await aSession(db, a, 10);
      await blobs.put(`sessions/${oldImages}/selfie`, selfie, { owner: a });
      await blobs.put(`sessions/${fresh}/selfie`, selfie, { owner: a });

      const report = await privacy.runRetention();
      assert.deepEqual(await state(db, fresh), { uploads: 1, erased: false, hasResult: true });
      assert.deepEqual(await state(db, oldImages), { uploads: 0, erased: false, hasResult: true });
      assert.deepEqual(await state(db, ancient), { uploads: 0, erased: true, hasResult: false });
      // An abandoned open session loses its images but is not "completed": the sessions job expires it.
      assert.deepEqual(await state(db, open), { uploads: 0, erased: false, hasResult: true });
      assert.deepEqual(
        await state(db, bTenDays),
        { uploads: 0, erased: false, hasResult: true },
        '7-day customer',
      );
      assert.deepEqual(
        await state(db, aTenDays),
        { uploads: 1, erased: false, hasResult: true },
        '30-day customer',
      );
      assert.equal(await blobs.get(`sessions/${oldImages}/selfie`), undefined);
      assert.deepEqual(await blobs.get(`sessions/${fresh}/selfie`), selfie);
      assert.equal(report.uploadsDeleted, 4);
      assert.equal(report.resultsErased, 1);
      assert.equal(report.blobsDeleted, 1);
      const again = await privacy.runRetention();
      assert.equal(again.uploadsDeleted + again.resultsErased, 0, 'idempotent');
      const [declared] = await db.query<{ declared: unknown }>(
        'SELECT declared FROM verification_sessions WHERE id = $1',
        [ancient],
      );
      assert.deepEqual(declared!.declared, {});
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
);

onBothEngines(
  'contract termination: after the retention period the customer is crypto-shredded',
  async (engine) => {
    const db = await sharedDb(engine);
    const dir = await mkdtemp(path.join(tmpdir(), 'ekyc-shred-'));
    try {
      const clock = fixedClock(NOW);
      const config = loadConfig({ NODE_ENV: 'test', EKYC_RETENTION_DAYS: '90' });
      const envelope = createEnvelope({ db, keyring: { current: randomBytes(32), previous: [] }, clock });
      const blobs = createLocalBlobStore({ dir, masterKey: randomBytes(32), envelope });
      const privacy = createPrivacyService({ db, clock, config, envelope, blobs });
      await db.query(
        `INSERT INTO units (id, kind, code, name) VALUES ('unt_ttcntt', 'it_center', 'TTCNTT', 'IT') ON CONFLICT DO NOTHING`,
      );
      const gone = await aCustomer(db); // cancelled 120 days ago: past 90 days
      const recent = await aCustomer(db); // expired 20 days ago: still in its export window
      const live = await aCustomer(db); // one contract expired, a newer one active
      await aContract(db, gone, 'cancelled', '2026-12-31', ago(120).toISOString().slice(0, 10));
      await aContract(db, recent, 'expired', ago(21).toISOString().slice(0, 10));
      await aContract(db, live, 'expired', '2025-06-30');
      await aContract(db, live, 'active', '2027-06-30');
      const sessions = new Map<string, string>();
      for (const c of [gone, recent, live]) {
        sessions.set(c, await aSession(db, c, 2));
        await blobs.put(`contracts/${c}/export.json`, selfie, { owner: c }); // not a session file
      }

      assert.equal(await privacy.shredTerminated(), 1);
      await assert.rejects(
        blobs.get(`contracts/${gone}/export.json`),
        (e: unknown) => e instanceof CryptoError && e.reason === 'shredded',
      );
      assert.deepEqual(await state(db, sessions.get(gone)!), { uploads: 0, erased: true, hasResult: false });
      for (const c of [recent, live]) {
        assert.deepEqual(await blobs.get(`contracts/${c}/export.json`), selfie);
        assert.deepEqual(await state(db, sessions.get(c)!), { uploads: 1, erased: false, hasResult: true });
      }
      const [scheduled] = await db.query<{ shred_after: Date }>(
        'SELECT shred_after FROM privacy_terminations WHERE customer_id = $1',
        [recent],
      );
      assert.equal(
        scheduled!.shred_after.toISOString(),
        new Date(ago(20).setUTCHours(0, 0, 0, 0) + 90 * DAY).toISOString(),
      );
      assert.equal(await privacy.shredTerminated(), 0, 'idempotent');
      clock.set(new Date(NOW.getTime() + 80 * DAY));
      assert.equal(await privacy.shredTerminated(), 1, 'the second customer once its window closed');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
);

describe('privacy over HTTP', () => {
  let t: TestApp;
  let key: string;
  let sessionId: string;
  before(async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'ekyc-privacy-http-'));
    t = await createTestApp({ env: { DATA_DIR: dataDir } });
    key = t.seed.demoApiKey!;
    sessionId = await aSession(t.db, 'cus_demobank', 1, { subjectRef: 'subj-1' });
  });
  after(() => t.close());
  const bearer = (k: string) => ({ authorization: `Bearer ${k}` });

  test('consent recorded by the sessions module is listed with text version, time and address', async () => {
    const { privacyServiceFor } = await import('./privacy.routes.ts');
    const privacy = await privacyServiceFor(t.ctx);
    await privacy.recordConsent({
      customerId: 'cus_demobank',
      sessionId,
      purpose: 'ekyc_verification',
      textVersion: 'vi-2026-01',
      text: 'Tôi đồng ý …',
      ip: '203.0.113.7',
    });
    await assert.rejects(
      privacy.recordConsent({ customerId: 'cus_demobank', sessionId, purpose: 'x y', textVersion: '' }),
      /consent record is incomplete/,
    );
    const res = await t.app.inject({
      method: 'GET',
      url: `/v1/consents?session_id=${sessionId}`,
      headers: bearer(key),
    });
    assert.equal(res.statusCode, 200, res.body);
    const [c] = res.json().items;
    assert.equal(c.text_version, 'vi-2026-01');
    assert.equal(c.ip, '203.0.113.7');
    assert.equal(c.granted_at, '2026-11-24T03:00:00.000Z');
    assert.equal(c.text_sha256.length, 64);
  });

  test('a data subject is exported and then erased through the API; another customer sees nothing', async () => {
    const other = await aCustomer(t.db, { unitId: 'unt_ctkv2' });
    const { key: otherKey } = await t.ctx.apiKeys.create(other, 'other', { type: 'system', id: null });
    const foreign = await t.app.inject({
      method: 'POST',
      url: '/v1/data-subjects/export',
      headers: bearer(otherKey),
      payload: { session_id: sessionId },
    });
    assert.ok([403, 404].includes(foreign.statusCode), `${foreign.statusCode}`);
    assert.ok(!foreign.body.includes('TRẦN'));

    const exp = await t.app.inject({
      method: 'POST',
      url: '/v1/data-subjects/export',
      headers: bearer(key),
      payload: { subject_ref: 'subj-1' },
    });
    assert.equal(exp.statusCode, 200, exp.body);
    const body = exp.json();
    assert.equal(body.sessions.length, 1);
    assert.equal(body.sessions[0].result.fields.full_name, 'TRẦN VĂN CƯỜNG');
    assert.equal(body.sessions[0].uploads[0].slot, 'selfie');
    assert.equal(body.sessions[0].consents[0].text_version, 'vi-2026-01');

    const erase = await t.app.inject({
      method: 'POST',
      url: '/v1/data-subjects/erase',
      headers: bearer(key),
      payload: { session_id: sessionId },
    });
    assert.equal(erase.statusCode, 200, erase.body);
    assert.deepEqual(erase.json(), { sessions: 1, uploads: 1, blobs: 0 });
    assert.deepEqual(await state(t.db, sessionId), { uploads: 0, erased: true, hasResult: false });
    const after = await t.app.inject({
      method: 'POST',
      url: '/v1/data-subjects/export',
      headers: bearer(key),
      payload: { subject_ref: 'subj-1' },
    });
    assert.equal(after.statusCode, 404, 'the subject reference itself is gone');
    const [audit] = await t.db.query<{ details: unknown }>(
      `SELECT details FROM audit_log WHERE action = 'privacy.subject_erased' ORDER BY id DESC LIMIT 1`,
    );
    assert.ok(!JSON.stringify(audit!.details).includes('TRẦN'), 'no personal data in the audit line');
    const empty = await t.app.inject({
      method: 'POST',
      url: '/v1/data-subjects/erase',
      headers: bearer(key),
      payload: {},
    });
    assert.equal(empty.statusCode, 400);
  });

  test('retention periods are set per customer within scope', async () => {
    const admin = await t.login('admin@ekyc.local');
    const put = await admin.request({
      method: 'PUT',
      url: '/api/customers/cus_demobank/privacy',
      payload: { image_retention_days: 14, result_retention_days: 180 },
    });
    assert.equal(put.statusCode, 200, put.body);
    const get = await admin.request({ method: 'GET', url: '/api/customers/cus_demobank/privacy' });
    assert.deepEqual(get.json(), { image_retention_days: 14, result_retention_days: 180 });
    const other = await aCustomer(t.db, { unitId: 'unt_ctkv2' });
    const intruder = await t.login((await aUser(t.db, { role: 'customer_admin', customerId: other })).email);
    const denied = await intruder.request({
      method: 'PUT',
      url: '/api/customers/cus_demobank/privacy',
      payload: { image_retention_days: 0, result_retention_days: 0 },
    });
    assert.equal(denied.statusCode, 404);
    const tooLong = await admin.request({
      method: 'PUT',
      url: '/api/customers/cus_demobank/privacy',
      payload: { image_retention_days: 99999, result_retention_days: 1 },
    });
    assert.equal(tooLong.statusCode, 400);
  });
});
