import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createTestApp } from '../../../test/app.ts';
import { aCustomer } from '../../../test/builders.ts';

async function aContract(
  db: import('../../db/client.ts').Db,
  id: string,
  customerId: string,
  endDate: string,
  status = 'active',
) {
  await db.query(
    `INSERT INTO contracts (id, customer_id, edition, status, start_date, end_date, term_months, signing_unit_id, price_plan_code)
     VALUES ($1, $2, 'cloud_saas', $3, '2026-01-01', $4, 12, 'unt_ctkv1', 'cloud_saas_default')`,
    [id, customerId, status, endDate],
  );
}

test('renewals due: in-force contracts of the unit’s own customers ending within 30 local days, soonest first', async () => {
  // 00:30 on Wednesday 25 Nov in Hà Nội, still the 24th in UTC: the window is 25/11 … 25/12.
  const t = await createTestApp({ now: '2026-11-24T17:30:00Z' });
  try {
    const mine = await aCustomer(t.db, { unitId: 'unt_ctkv1' });
    const other = await aCustomer(t.db, { unitId: 'unt_ctkv2' });
    await aContract(t.db, 'ctr_last_day', mine, '2026-12-25');
    await aContract(t.db, 'ctr_today', mine, '2026-11-25', 'expiring');
    await aContract(t.db, 'ctr_yesterday', mine, '2026-11-24', 'expiring');
    await aContract(t.db, 'ctr_too_far', mine, '2026-12-26');
    await aContract(t.db, 'ctr_renewed', mine, '2026-12-01', 'renewed');
    await aContract(t.db, 'ctr_other_unit', other, '2026-12-01');

    const ctkv1 = await t.login('ctkv1@ekyc.local');
    const due = await ctkv1.request({ method: 'GET', url: '/api/contracts?renewal_due=true' });
    assert.equal(due.statusCode, 200, due.body);
    assert.deepEqual(
      due.json().items.map((c: { id: string; days_left: number }) => [c.id, c.days_left]),
      [
        ['ctr_today', 0],
        ['ctr_last_day', 30],
      ],
    );

    const admin = await t.login('admin@ekyc.local');
    const all = (await admin.request({ method: 'GET', url: '/api/contracts?renewal_due=true' })).json().items;
    assert.deepEqual(
      all.map((c: { id: string }) => c.id),
      ['ctr_today', 'ctr_other_unit', 'ctr_last_day'],
    );
    const plain = (await ctkv1.request({ method: 'GET', url: '/api/contracts' })).json().items;
    assert.equal(plain.find((c: { id: string }) => c.id === 'ctr_yesterday').days_left, -1);
  } finally {
    await t.close();
  }
});

test('task queue: working days left to each open task, on the business calendar with the admin’s holidays', async () => {
  // Tuesday 24 Nov 2026, 10:00 in Hà Nội; the admin makes Thursday 26/11 a holiday.
  const t = await createTestApp();
  try {
    const admin = await t.login('admin@ekyc.local');
    const holiday = await admin.request({
      method: 'PUT',
      url: '/api/calendar/days/2026-11-26',
      payload: { kind: 'holiday', name_vi: 'Nghỉ bù', name_en: 'Day off' },
    });
    assert.equal(holiday.statusCode, 200, holiday.body);
    const task = (id: string, due: string, status = 'open') =>
      t.db.query(
        `INSERT INTO tasks (id, kind, assignee, status, due_at, created_at) VALUES ($1, 'provision_account', 'operator', $2, $3, $4)`,
        [id, status, due, '2026-11-20T03:00:00Z'],
      );
    await task('tsk_late', '2026-11-23T10:00:00Z'); // Monday 17:00
    await task('tsk_today', '2026-11-24T10:00:00Z'); // today 17:00
    await task('tsk_monday', '2026-11-30T10:00:00Z'); // Wed, (Thu off), Fri, Mon
    await task('tsk_done', '2026-11-30T10:00:00Z', 'done');

    const operator = await t.login('operator@ekyc.local');
    const items = (await operator.request({ method: 'GET', url: '/api/tasks' })).json().items as {
      id: string;
      overdue: boolean;
      working_days_left: number | null;
    }[];
    const left = Object.fromEntries(items.map((x) => [x.id, [x.working_days_left, x.overdue]]));
    assert.deepEqual(left.tsk_late, [-1, true]);
    assert.deepEqual(left.tsk_today, [0, false]);
    assert.deepEqual(left.tsk_monday, [3, false]);
    assert.deepEqual(left.tsk_done, [null, false]);
  } finally {
    await t.close();
  }
});
