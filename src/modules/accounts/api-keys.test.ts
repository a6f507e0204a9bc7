import assert from 'node:assert/strict';
import { createTestApp } from '../../../test/app.ts';
import { aCustomer, aUser } from '../../../test/builders.ts';
import { onBothEngines } from '../../../test/db.ts';

onBothEngines(
  'API keys: shown once, stored hashed, revocable, rotated with a grace period',
  async (engine) => {
    const t = await createTestApp({ engine });
    try {
      const bank = await t.login('admin@demobank.vn');
      const created = await bank.request({
        method: 'POST',
        url: '/api/customers/cus_demobank/api-keys',
        payload: { name: 'core banking' },
      });
      assert.equal(created.statusCode, 201);
      const { key, api_key } = created.json();
      assert.match(key, /^mfk_/);
      assert.equal(api_key.prefix, key.slice(0, 12));

      // Only a hash is stored; the list never shows the secret.
      const stored = await t.db.query<{ key_hash: string }>('SELECT key_hash FROM api_keys WHERE id = $1', [
        api_key.id,
      ]);
      assert.notEqual(stored[0]?.key_hash, key);
      const list = await bank.request({ method: 'GET', url: '/api/customers/cus_demobank/api-keys' });
      assert.ok(!list.body.includes(key));

      const me = (k: string) =>
        t.app.inject({ method: 'GET', url: '/v1/me', headers: { authorization: `Bearer ${k}` } });
      assert.deepEqual((await me(key)).json(), { customer_id: 'cus_demobank', key_id: api_key.id });

      // Rotation: the new key works at once, the old one until the grace period ends.
      const rotated = await bank.request({
        method: 'POST',
        url: `/api/api-keys/${api_key.id}/rotate`,
        payload: { grace_hours: 2 },
      });
      assert.equal(rotated.statusCode, 201);
      const newKey = rotated.json().key as string;
      assert.equal(rotated.json().previous.status, 'expiring');
      assert.equal((await me(newKey)).statusCode, 200);
      assert.equal((await me(key)).statusCode, 200);
      t.clock.advance(2 * 3_600_000 + 1000);
      const expired = await me(key);
      assert.equal(expired.statusCode, 401);
      assert.equal(expired.json().code, 'ERR_INVALID_API_KEY');
      assert.equal((await me(newKey)).statusCode, 200);

      // A rotated key cannot be rotated again.
      const again = await bank.request({ method: 'POST', url: `/api/api-keys/${api_key.id}/rotate` });
      assert.equal(again.statusCode, 409);

      // Revocation is immediate.
      const revoked = await bank.request({
        method: 'POST',
        url: `/api/api-keys/${rotated.json().api_key.id}/revoke`,
      });
      assert.equal(revoked.json().status, 'revoked');
      assert.equal((await me(newKey)).statusCode, 401);

      const audit = await t.db.query<{ action: string }>(
        `SELECT action FROM audit_log WHERE entity_type = 'api_key' ORDER BY id`,
      );
      assert.deepEqual(
        audit.map((a) => a.action),
        ['api_key.create', 'api_key.create', 'api_key.create', 'api_key.rotate', 'api_key.revoke'],
      );
    } finally {
      await t.close();
    }
  },
);

onBothEngines("a customer's admin cannot see, rotate or revoke another customer's keys", async (engine) => {
  const t = await createTestApp({ engine });
  try {
    const other = await aCustomer(t.db, { unitId: 'unt_ctkv2' });
    const otherAdmin = await aUser(t.db, { role: 'customer_admin', customerId: other });
    const demoKeyId = (
      await t.db.query<{ id: string }>(`SELECT id FROM api_keys WHERE customer_id = 'cus_demobank'`)
    )[0]!.id;
    const intruder = await t.login(otherAdmin.email);
    for (const req of [
      { method: 'GET' as const, url: '/api/customers/cus_demobank/api-keys' },
      { method: 'POST' as const, url: '/api/customers/cus_demobank/api-keys', payload: { name: 'x' } },
      { method: 'POST' as const, url: `/api/api-keys/${demoKeyId}/revoke` },
      { method: 'POST' as const, url: `/api/api-keys/${demoKeyId}/rotate` },
    ]) {
      const res = await intruder.request(req);
      assert.equal(res.statusCode, 404, `${req.method} ${req.url}`);
    }
    // And a sales unit user may not manage keys at all.
    const unit = await t.login('ctkv1@ekyc.local');
    assert.equal(
      (await unit.request({ method: 'GET', url: '/api/customers/cus_demobank/api-keys' })).statusCode,
      403,
    );
    // The demo key still works.
    assert.equal(
      (
        await t.app.inject({
          method: 'GET',
          url: '/v1/me',
          headers: { authorization: `Bearer ${t.seed.demoApiKey}` },
        })
      ).statusCode,
      200,
    );
  } finally {
    await t.close();
  }
});
