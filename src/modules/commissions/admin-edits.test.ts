import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Client, createTestApp, type TestApp } from '../../../test/app.ts';
import { recordUsageBatch } from '../metering/metering.ts';

/**
 * What the admin screens edit: units (create, edit, deactivate), channel-share rates and price-plan
 * versions from a date. Rates and versions that finalized invoices used are never rewritten.
 */
describe('admin edits units, rates and plan versions', () => {
  let t: TestApp;
  let admin: Client;
  before(async () => {
    t = await createTestApp({ now: '2026-11-24T03:00:00Z' });
    admin = await t.login('admin@ekyc.local');
  });
  after(() => t.close());

  const audits = async (action: string) =>
    (
      await t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM audit_log WHERE action = $1', [action])
    )[0]!.n;

  test('units: create with a region, edit, deactivate; audited; kind fixed while it has users', async () => {
    const created = await admin.request({
      method: 'POST',
      url: '/api/units',
      payload: { kind: 'ctkv', code: 'CTKV10', name: 'Công ty DV MobiFone Khu vực 10', region: 'Khu vực 10' },
    });
    assert.equal(created.statusCode, 201, created.body);
    const unit = created.json();
    assert.equal(unit.region, 'Khu vực 10');

    const edited = await admin.request({
      method: 'PATCH',
      url: `/api/units/${unit.id}`,
      payload: {
        name: 'Công ty Dịch vụ MobiFone Khu vực 10',
        email: 'kv10@mobifone.vn',
        region: 'Tây Nguyên',
      },
    });
    assert.equal(edited.statusCode, 200, edited.body);
    assert.deepEqual(
      [edited.json().name, edited.json().email, edited.json().region],
      ['Công ty Dịch vụ MobiFone Khu vực 10', 'kv10@mobifone.vn', 'Tây Nguyên'],
    );
    const bad = await admin.request({
      method: 'PATCH',
      url: `/api/units/${unit.id}`,
      payload: { email: 'not-an-email' },
    });
    assert.equal(bad.json().code, 'ERR_VALIDATION');
    const taken = await admin.request({
      method: 'PATCH',
      url: `/api/units/${unit.id}`,
      payload: { code: 'CTKV1' },
    });
    assert.equal(taken.json().code, 'ERR_UNIT_CODE_TAKEN');

    // A unit with users keeps its kind (their roles depend on it); an empty one may change.
    const withUsers = await admin.request({
      method: 'PATCH',
      url: '/api/units/unt_ctkv1',
      payload: { kind: 'agent', legal_name: 'X', tax_code: '0100109106' },
    });
    assert.equal(withUsers.statusCode, 409);
    assert.equal(withUsers.json().code, 'ERR_CONFLICT');
    const rekind = await admin.request({
      method: 'PATCH',
      url: `/api/units/${unit.id}`,
      payload: { kind: 'it_center' },
    });
    assert.equal(rekind.json().kind, 'it_center');

    const off = await admin.request({
      method: 'PATCH',
      url: `/api/units/${unit.id}`,
      payload: { active: false },
    });
    assert.equal(off.json().active, false);
    // A deactivated unit takes no new users.
    const user = await admin.request({
      method: 'POST',
      url: '/api/users',
      payload: { email: 'kv10@ekyc.local', full_name: 'KV10', role: 'unit_user', unit_id: unit.id },
    });
    assert.equal(user.json().code, 'ERR_USER_UNIT');

    // Only an admin edits units.
    const operator = await t.login('operator@ekyc.local');
    const refused = await operator.request({
      method: 'PATCH',
      url: `/api/units/${unit.id}`,
      payload: { name: 'x' },
    });
    assert.equal(refused.statusCode, 403);
    assert.equal(await audits('unit.create'), 1);
    assert.equal(await audits('unit.update'), 3);
  });

  test('rates: the defaults are listed; a new rate starts after the last finalized month, never on an old date', async () => {
    const list = await admin.request({ method: 'GET', url: '/api/commissions/rates' });
    assert.equal(list.statusCode, 200);
    assert.deepEqual(
      list.json().items.map((r: { channel: string; rate_bp: number }) => [r.channel, r.rate_bp]),
      [
        ['agent', 4000],
        ['am', 3500],
      ],
    );
    assert.equal(list.json().locked_through, null);

    // Finalize October's invoice: its shares were booked at October's rates.
    await recordUsageBatch(
      t.db,
      Array.from({ length: 10 }, (_, i) => ({
        customerId: t.seed.demoCustomerId!,
        requestId: `rate-${i}`,
        kind: 'verification',
        at: new Date(Date.parse('2026-10-15T03:00:00Z') + i * 1000),
      })),
    );
    await admin.request({ method: 'POST', url: '/api/billing/runs', payload: { month: '2026-10' } });
    const [inv] = (await admin.request({ method: 'GET', url: '/api/invoices?month=2026-10' })).json().items;
    const fin = await admin.request({ method: 'POST', url: `/api/invoices/${inv.id}/finalize` });
    assert.equal(fin.json().status, 'finalized');
    assert.equal(
      (await admin.request({ method: 'GET', url: '/api/commissions/rates' })).json().locked_through,
      '2026-10-01',
    );

    const add = (payload: Record<string, unknown>, c: Client = admin) =>
      c.request({ method: 'POST', url: '/api/commissions/rates', payload });
    for (const day of ['2026-10-01', '2020-01-01', '2026-09-15']) {
      const old = await add({ channel: 'agent', rate_bp: 4200, effective_from: day });
      assert.equal(old.statusCode, 409, day);
      assert.equal(old.json().code, 'ERR_RATE_HISTORY', day);
    }
    for (const rate_bp of [-1, 10_001, 40.5]) {
      const bad = await add({ channel: 'agent', rate_bp, effective_from: '2027-01-01' });
      assert.equal(bad.json().code, 'ERR_VALIDATION', String(rate_bp));
    }
    const operator = await t.login('operator@ekyc.local');
    assert.equal(
      (await add({ channel: 'agent', rate_bp: 4200, effective_from: '2027-01-01' }, operator)).statusCode,
      403,
    );
    const ok = await add({ channel: 'agent', rate_bp: 4200, effective_from: '2026-10-02' });
    assert.equal(ok.statusCode, 201, ok.body);
    assert.deepEqual(
      [ok.json().channel, ok.json().rate_bp, ok.json().effective_from],
      ['agent', 4200, '2026-10-02'],
    );
    const again = await add({ channel: 'agent', rate_bp: 4300, effective_from: '2026-10-02' });
    assert.equal(again.json().code, 'ERR_RATE_EXISTS');
    const [booked] = await t.db.query<{ rate_bp: number }>(
      'SELECT DISTINCT rate_bp FROM commission_entries WHERE invoice_id = $1',
      [inv.id],
    );
    assert.equal(booked?.rate_bp, 3500, "October's booked share is unchanged (the demo bank's AM)");
    assert.equal(await audits('commission_rate.create'), 1);

    // Plan versions: the same rule for the plan the finalized invoice was priced with.
    const version = (effective_from: string) =>
      admin.request({
        method: 'POST',
        url: '/api/price-plans',
        payload: {
          code: 'cloud_saas_default',
          effective_from,
          tier_mode: 'volume',
          tiers: [
            { up_to: 10_000, unit_price_vnd: 900 },
            { up_to: null, unit_price_vnd: 700 },
          ],
        },
      });
    const back = await version('2026-10-01');
    assert.equal(back.statusCode, 409);
    assert.equal(back.json().code, 'ERR_PLAN_HISTORY');
    const next = await version('2026-12-01');
    assert.equal(next.statusCode, 201, next.body);
    // A plan no finalized invoice used takes any date.
    const fresh = await admin.request({
      method: 'POST',
      url: '/api/price-plans',
      payload: {
        code: 'pilot_2026',
        name: 'Thí điểm 2026',
        effective_from: '2026-01-01',
        tier_mode: 'graduated',
        tiers: [{ up_to: null, unit_price_vnd: 500 }],
      },
    });
    assert.equal(fresh.statusCode, 201, fresh.body);
    const invalid = await admin.request({
      method: 'POST',
      url: '/api/price-plans',
      payload: {
        code: 'pilot_2026',
        effective_from: '2027-01-01',
        tier_mode: 'volume',
        tiers: [{ up_to: 100, unit_price_vnd: 500 }],
      },
    });
    assert.equal(invalid.statusCode, 400);
    assert.equal(invalid.json().code, 'ERR_PLAN_INVALID');
  });
});
