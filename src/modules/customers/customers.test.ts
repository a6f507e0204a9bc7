import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestApp, type TestApp } from '../../../test/app.ts';

const DEMO = 'cus_demobank';

describe("an admin changes a customer's managing unit", () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp();
  });
  after(() => t.close());

  const patch = async (email: string, body: object) => {
    const user = await t.login(email);
    return user.request({ method: 'PATCH', url: `/api/customers/${DEMO}`, payload: body });
  };
  const visibleTo = async (email: string) => {
    const user = await t.login(email);
    return (await user.request({ method: 'GET', url: `/api/customers/${DEMO}` })).statusCode;
  };

  test('the customer moves to the new unit: its users see it, the old unit no longer does; audited from → to', async () => {
    assert.equal(await visibleTo('ctkv1@ekyc.local'), 200);
    const res = await patch('admin@ekyc.local', { managing_unit_id: 'unt_ctkv2' });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().managing_unit_id, 'unt_ctkv2');
    assert.equal(await visibleTo('ctkv1@ekyc.local'), 404);
    const [entry] = await t.db.query<{ details: { managing_unit?: { from: string; to: string } } }>(
      `SELECT details FROM audit_log WHERE action = 'customer.update' AND entity_id = $1 ORDER BY id DESC LIMIT 1`,
      [DEMO],
    );
    assert.deepEqual(entry?.details.managing_unit, { from: 'unt_ctkv1', to: 'unt_ctkv2' });
    // Back, for the other tests.
    assert.equal((await patch('admin@ekyc.local', { managing_unit_id: 'unt_ctkv1' })).statusCode, 200);
  });

  test('an unknown or inactive unit is refused with its code, not a database error', async () => {
    const unknown = await patch('admin@ekyc.local', { managing_unit_id: 'unt_nosuch' });
    assert.equal(unknown.statusCode, 400, unknown.body);
    assert.equal(unknown.json().code, 'ERR_MANAGING_UNIT_INVALID');
    await t.db.query(`UPDATE units SET active = false WHERE id = 'unt_ctkv3'`);
    const inactive = await patch('admin@ekyc.local', { managing_unit_id: 'unt_ctkv3' });
    assert.equal(inactive.json().code, 'ERR_MANAGING_UNIT_INVALID');
    const [row] = await t.db.query<{ managing_unit_id: string }>(
      'SELECT managing_unit_id FROM customers WHERE id = $1',
      [DEMO],
    );
    assert.equal(row?.managing_unit_id, 'unt_ctkv1');
  });

  test('a unit cannot hand its customer to another unit', async () => {
    const res = await patch('ctkv1@ekyc.local', { managing_unit_id: 'unt_ctkv2' });
    assert.equal(res.statusCode, 403);
    assert.equal(res.json().code, 'ERR_FORBIDDEN');
  });
});
