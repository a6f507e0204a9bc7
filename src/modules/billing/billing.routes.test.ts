import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestApp, type TestApp } from '../../../test/app.ts';
import { recordUsageBatch } from '../metering/metering.ts';

describe('billing HTTP', () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp({ now: '2026-11-24T03:00:00Z' });
  });
  after(() => t.close());

  test('quote: 12,000 requests in both modes with the tier breakdown', async () => {
    const am = await t.login('am@ekyc.local');
    const res = await am.request({ method: 'GET', url: '/api/pricing/quote?requests=12000' });
    assert.equal(res.statusCode, 200);
    const body = res.json();
    assert.equal(body.volume.amount_vnd, 10_800_000);
    assert.equal(body.graduated.amount_vnd, 11_550_000);
    assert.equal(body.graduated.breakdown.length, 3);
    assert.equal(body.difference_vnd, 750_000);
    assert.deepEqual(body.next_tier, {
      tier: 4,
      starts_at: 20_001,
      unit_price_vnd: 850,
      requests_to_go: 8_001,
    });
  });

  test('quote refuses bad input with 4xx problems and needs a login', async () => {
    const am = await t.login('am@ekyc.local');
    for (const url of [
      '/api/pricing/quote?requests=-1',
      '/api/pricing/quote?requests=abc',
      '/api/pricing/quote',
    ]) {
      const res = await am.request({ method: 'GET', url });
      assert.equal(res.statusCode, 400, url);
      assert.equal(res.json().code, 'ERR_VALIDATION');
    }
    const missing = await am.request({
      method: 'GET',
      url: '/api/pricing/quote?requests=1&plan=no_such_plan',
    });
    assert.equal(missing.statusCode, 404);
    assert.equal(missing.json().code, 'ERR_PLAN_NOT_FOUND');
    assert.equal(
      (await t.app.inject({ method: 'GET', url: '/api/pricing/quote?requests=1' })).statusCode,
      401,
    );
  });

  test('run, see, finalize, credit, PDF and exports, scoped by role', async () => {
    const customerId = t.seed.demoCustomerId!;
    await recordUsageBatch(
      t.db,
      Array.from({ length: 120 }, (_, i) => ({
        customerId,
        requestId: `http-${i}`,
        kind: 'verification',
        at: new Date(Date.parse('2026-10-15T03:00:00Z') + i * 1000),
      })),
    );
    const admin = await t.login('admin@ekyc.local');
    const customer = await t.login('admin@demobank.vn');
    const future = await admin.request({
      method: 'POST',
      url: '/api/billing/runs',
      payload: { month: '2026-11' },
    });
    assert.equal(future.json().code, 'ERR_BILLING_MONTH_INVALID');
    assert.equal(
      (await customer.request({ method: 'POST', url: '/api/billing/runs', payload: { month: '2026-10' } }))
        .statusCode,
      403,
    );
    const run = await admin.request({
      method: 'POST',
      url: '/api/billing/runs',
      payload: { month: '2026-10' },
    });
    assert.equal(run.statusCode, 200, run.body);
    assert.equal(run.json().created, 1);

    const list = await customer.request({ method: 'GET', url: '/api/invoices?month=2026-10' });
    const [inv] = list.json().items;
    assert.equal(inv.subtotal_vnd, 120_000);
    assert.equal(inv.total_vnd, 132_000);
    // Another unit's user does not see it.
    const agent = await t.login('agent1@ekyc.local');
    assert.equal((await agent.request({ method: 'GET', url: `/api/invoices/${inv.id}` })).statusCode, 404);
    assert.equal(
      (await agent.request({ method: 'GET', url: '/api/invoices?month=2026-10' })).json().items.length,
      0,
    );

    assert.equal(
      (await customer.request({ method: 'POST', url: `/api/invoices/${inv.id}/finalize` })).statusCode,
      403,
    );
    const fin = await admin.request({ method: 'POST', url: `/api/invoices/${inv.id}/finalize` });
    assert.equal(fin.json().status, 'finalized');
    assert.equal(
      (await admin.request({ method: 'POST', url: `/api/invoices/${inv.id}/finalize` })).statusCode,
      409,
    );

    const pdf = await customer.request({ method: 'GET', url: `/api/invoices/${inv.id}/pdf` });
    assert.equal(pdf.statusCode, 200);
    assert.equal(pdf.headers['content-type'], 'application/pdf');
    assert.equal(pdf.rawPayload.subarray(0, 5).toString(), '%PDF-');
    assert.ok(pdf.rawPayload.includes(Buffer.from('DejaVuSans')), 'the Vietnamese font is embedded');

    const csv = await admin.request({ method: 'GET', url: '/api/invoices/export?month=2026-10&format=csv' });
    assert.match(csv.body, /132000/);
    const xlsx = await admin.request({
      method: 'GET',
      url: '/api/invoices/export?month=2026-10&format=xlsx',
    });
    assert.equal(xlsx.rawPayload.subarray(0, 2).toString(), 'PK');
    const usage = await customer.request({ method: 'GET', url: '/api/billing/usage/export?month=2026-10' });
    assert.match(usage.body, /2026-10-15,verification,120/);

    const am = await t.login('am@ekyc.local');
    const statement = await am.request({ method: 'GET', url: '/api/commissions/statements?month=2026-11' });
    assert.deepEqual(
      statement.json().totals.map((x: { amount_vnd: number }) => x.amount_vnd),
      [42_000],
    );
    const credit = await admin.request({
      method: 'POST',
      url: `/api/invoices/${inv.id}/credit-notes`,
      payload: { reason: 'Điều chỉnh sản lượng' },
    });
    assert.equal(credit.statusCode, 201, credit.body);
    assert.equal(credit.json().subtotal_vnd, -120_000);
    const after = await am.request({ method: 'GET', url: '/api/commissions/statements?month=2026-11' });
    assert.equal(after.json().totals[0].amount_vnd, 0);
    assert.equal(
      (await agent.request({ method: 'GET', url: '/api/commissions/statements?month=2026-11' })).json()
        .entries.length,
      0,
    );

    const report = await admin.request({
      method: 'GET',
      url: '/api/billing/reports/revenue?from=2026-10&to=2026-10&group_by=channel',
    });
    assert.deepEqual(report.json().items, [{ key: 'am', revenue_vnd: 0, vat_vnd: 0, documents: 2 }]);

    const current = await customer.request({ method: 'GET', url: '/api/billing/usage/current' });
    assert.equal(current.statusCode, 200);
    assert.equal(current.json().requests, 0);
    assert.equal(current.json().next_tier.starts_at, 5_001);
  });

  test('usage per local day over a window (zeros included) and sessions by outcome, scoped by role', async () => {
    const customerId = t.seed.demoCustomerId!;
    // Now is 2026-11-24 10:00 in Hanoi: the 30-day window is 2026-10-26 … 2026-11-24 local.
    const at = [
      '2026-10-25T16:59:59Z', // 2026-10-25 23:59:59 local: before the window
      '2026-10-25T17:00:00Z', // 2026-10-26 00:00 local: the first day
      '2026-11-23T16:59:59Z', // 2026-11-23 23:59:59 local
      '2026-11-23T17:00:00Z', // 2026-11-24 00:00 local
      '2026-11-24T02:00:00Z',
    ];
    await recordUsageBatch(
      t.db,
      at.map((iso, i) => ({ customerId, requestId: `daily-${i}`, kind: 'verification', at: new Date(iso) })),
    );
    for (const [i, status] of ['approved', 'approved', 'declined', 'review'].entries()) {
      await t.db.query(
        `INSERT INTO verification_sessions (id, customer_id, reference_id, checks, status, created_at, updated_at, last_activity_at)
         VALUES ($1, $2, $3, '["document"]', $4, $5, $5, $5)`,
        [`ses_daily${i}`, customerId, `ref-${i}`, status, new Date('2026-11-20T03:00:00Z')],
      );
    }
    const customer = await t.login('admin@demobank.vn');
    const res = await customer.request({ method: 'GET', url: '/api/billing/usage/daily' });
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json();
    assert.equal(body.from, '2026-10-26');
    assert.equal(body.to, '2026-11-24');
    assert.equal(body.days.length, 30);
    const perDay = Object.fromEntries(
      body.days.map((d: { day: string; requests: number }) => [d.day, d.requests]),
    );
    assert.equal(perDay['2026-10-26'], 1);
    assert.equal(perDay['2026-11-23'], 1);
    assert.equal(perDay['2026-11-24'], 2);
    assert.equal(perDay['2026-11-01'], 0);
    assert.deepEqual(body.sessions, { approved: 2, declined: 1, review: 1 });

    const week = await customer.request({ method: 'GET', url: '/api/billing/usage/daily?days=7' });
    assert.equal(week.json().days.length, 7);
    assert.equal(
      (await customer.request({ method: 'GET', url: '/api/billing/usage/daily?days=0' })).statusCode,
      400,
    );
    // Another unit's agent cannot read this customer's usage; staff without a customer must name one.
    const agent = await t.login('agent1@ekyc.local');
    const hidden = await agent.request({
      method: 'GET',
      url: `/api/billing/usage/daily?customer_id=${customerId}`,
    });
    assert.equal(hidden.statusCode, 404);
    const admin = await t.login('admin@ekyc.local');
    assert.equal((await admin.request({ method: 'GET', url: '/api/billing/usage/daily' })).statusCode, 404);
    const seen = await admin.request({
      method: 'GET',
      url: `/api/billing/usage/daily?customer_id=${customerId}`,
    });
    assert.equal(seen.json().days.at(-1).requests, 2);
  });
});
