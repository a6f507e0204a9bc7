import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestApp, type TestApp } from '../../../test/app.ts';
import { aCustomer, aUser } from '../../../test/builders.ts';

describe('who sees which customer', () => {
  let t: TestApp;
  let ctkv2Customer: string;
  let agent1Customer: string;
  let itCenterCustomer: string;
  let kamCustomer: string;

  before(async () => {
    t = await createTestApp();
    ctkv2Customer = await aCustomer(t.db, { unitId: 'unt_ctkv2' });
    agent1Customer = await aCustomer(t.db, { unitId: 'unt_agent1' });
    itCenterCustomer = await aCustomer(t.db, { unitId: 'unt_ttcntt' });
    kamCustomer = await aCustomer(t.db, { unitId: 'unt_ctkv3', amUserId: 'usr_kam' });
  });
  after(() => t.close());

  async function visible(email: string): Promise<string[]> {
    const user = await t.login(email);
    const res = await user.request({ method: 'GET', url: '/api/customers' });
    assert.equal(res.statusCode, 200);
    return res.json().items.map((c: { id: string }) => c.id);
  }

  test('a CTKV user sees its own customers and not another unit’s', async () => {
    const ids = await visible('ctkv1@ekyc.local');
    assert.deepEqual(ids, ['cus_demobank']);
    const user = await t.login('ctkv1@ekyc.local');
    const res = await user.request({ method: 'GET', url: `/api/customers/${ctkv2Customer}` });
    assert.equal(res.statusCode, 404);
  });

  test('an agent sees only its own customers', async () => {
    assert.deepEqual(await visible('agent1@ekyc.local'), [agent1Customer]);
    assert.deepEqual(await visible('agent2@ekyc.local'), []);
  });

  test('the IT Center sees its customers and those of its agents', async () => {
    assert.deepEqual((await visible('ttcntt@ekyc.local')).sort(), [agent1Customer, itCenterCustomer].sort());
  });

  test('an AM/KAM sees the customers assigned to them', async () => {
    assert.deepEqual(await visible('kam@ekyc.local'), [kamCustomer]);
    assert.deepEqual(await visible('am@ekyc.local'), ['cus_demobank']);
  });

  test('a customer admin sees only their own customer', async () => {
    assert.deepEqual(await visible('admin@demobank.vn'), ['cus_demobank']);
    const other = await aUser(t.db, { role: 'customer_admin', customerId: ctkv2Customer });
    const user = await t.login(other.email);
    assert.equal((await user.request({ method: 'GET', url: '/api/customers/cus_demobank' })).statusCode, 404);
  });

  test('operators, support agents and admins see every customer', async () => {
    for (const email of ['operator@ekyc.local', 'support@ekyc.local', 'admin@ekyc.local']) {
      assert.equal((await visible(email)).length, 5, email);
    }
  });

  test('support finds a caller’s customer by tax code or phone', async () => {
    const support = await t.login('support@ekyc.local');
    const byPhone = await support.request({ method: 'GET', url: '/api/customers?q=0912345678' });
    assert.deepEqual(
      byPhone.json().items.map((c: { id: string }) => c.id),
      ['cus_demobank'],
    );
    const byTax = await support.request({ method: 'GET', url: '/api/customers?q=0101234560' });
    assert.equal(byTax.json().items.length, 1);
  });
});
