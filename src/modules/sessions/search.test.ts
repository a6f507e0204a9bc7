import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createTestApp } from '../../../test/app.ts';
import { aCustomer } from '../../../test/builders.ts';

test('the customer admin finds its sessions by session id, reference prefix and local created days', async () => {
  const t = await createTestApp();
  try {
    const own = t.seed.demoCustomerId;
    assert.ok(own);
    const other = await aCustomer(t.db, { unitId: 'unt_ctkv1' });
    const session = (id: string, customerId: string, ref: string, at: string) =>
      t.db.query(
        `INSERT INTO verification_sessions (id, customer_id, reference_id, checks, status, created_at, updated_at, last_activity_at)
         VALUES ($1, $2, $3, '["face"]', 'approved', $4, $4, $4)`,
        [id, customerId, ref, at],
      );
    // 23:30 on 20/11 in Hà Nội is 16:30 UTC; 00:30 on 21/11 is 17:30 UTC on the 20th.
    await session('ses_late_20', own, 'loan-2026-0001', '2026-11-20T16:30:00Z');
    await session('ses_early_21', own, 'loan-2026-0002', '2026-11-20T17:30:00Z');
    await session('ses_22', own, 'card-7', '2026-11-22T03:00:00Z');
    await session('ses_foreign', other, 'loan-2026-0003', '2026-11-21T03:00:00Z');

    const admin = await t.login('admin@demobank.vn');
    const ids = async (query: string) => {
      const res = await admin.request({ method: 'GET', url: `/api/verification-sessions?${query}` });
      assert.equal(res.statusCode, 200, res.body);
      return res.json().items.map((s: { id: string }) => s.id);
    };
    assert.deepEqual(await ids('q=loan-2026'), ['ses_early_21', 'ses_late_20']);
    assert.deepEqual(await ids('q=loan-2026-0002'), ['ses_early_21']);
    assert.deepEqual(await ids('q=ses_22'), ['ses_22']);
    assert.deepEqual(await ids('q=ses_foreign'), []);
    assert.deepEqual(await ids('from=2026-11-21&to=2026-11-21'), ['ses_early_21']);
    assert.deepEqual(await ids('from=2026-11-21'), ['ses_22', 'ses_early_21']);
    assert.deepEqual(await ids('to=2026-11-20'), ['ses_late_20']);
    assert.deepEqual(await ids('q=loan&from=2026-11-21'), ['ses_early_21']);
    const [first] = (await admin.request({ method: 'GET', url: '/api/verification-sessions?q=card' })).json()
      .items;
    assert.equal(first.reference_id, 'card-7');
    const bad = await admin.request({ method: 'GET', url: '/api/verification-sessions?from=2026-13-01' });
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.headers['content-type'], 'application/problem+json; charset=utf-8');
  } finally {
    await t.close();
  }
});
