import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestApp, type TestApp } from '../../../test/app.ts';

describe('the notice outbox', () => {
  let t: TestApp;
  let letterId: string;
  before(async () => {
    t = await createTestApp();
    await t.db.transaction(async (tx) => {
      letterId = await t.ctx.notifier.queue(tx, {
        channel: 'letter',
        recipient: 'Số 1 Phố Huế, Hà Nội',
        subject: 'Thư bàn giao',
        bodyText: 'x',
        template: 'contract.letter',
      });
      await t.ctx.notifier.queue(tx, {
        channel: 'email',
        recipient: 'it@bank.vn',
        subject: 'Email',
        bodyText: 'y',
        template: 'contract.email',
      });
    });
  });
  after(() => t.close());

  test('operators list queued notices and mark a letter printed; an email cannot be', async () => {
    const operator = await t.login('operator@ekyc.local');
    const list = await operator.request({ method: 'GET', url: '/api/notices?status=queued' });
    assert.equal(list.statusCode, 200);
    assert.deepEqual(
      list
        .json()
        .items.map((n: { channel: string }) => n.channel)
        .sort(),
      ['email', 'letter'],
    );
    const printed = await operator.request({ method: 'POST', url: `/api/notices/${letterId}/printed` });
    assert.equal(printed.json().status, 'printed');
    const emailId = list.json().items.find((n: { channel: string }) => n.channel === 'email').id;
    const email = await operator.request({ method: 'POST', url: `/api/notices/${emailId}/printed` });
    assert.equal(email.statusCode, 409);
  });

  test('customers and sales units do not read the outbox', async () => {
    for (const email of ['admin@demobank.vn', 'ctkv1@ekyc.local']) {
      const user = await t.login(email);
      assert.equal((await user.request({ method: 'GET', url: '/api/notices' })).statusCode, 403, email);
    }
  });
});
