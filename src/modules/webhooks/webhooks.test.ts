import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { createTestApp, type TestApp } from '../../../test/app.ts';
import { publicApiOf } from '../sessions/sessions.routes.ts';
import { SIGNATURE_HEADER, verifySignature } from './signing.ts';
import { BACKOFF_MS, MAX_ATTEMPTS } from './webhooks.service.ts';

interface Received {
  body: string;
  signature: string;
  type: string;
}

/** A real HTTP receiver on loopback that answers `status` and keeps what it got. */
async function receiver(status: () => number): Promise<{ url: string; got: Received[]; server: Server }> {
  const got: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      got.push({
        body: Buffer.concat(chunks).toString('utf8'),
        signature: String(req.headers[SIGNATURE_HEADER] ?? ''),
        type: String(req.headers['ekyc-event-type'] ?? ''),
      });
      res.writeHead(status()).end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/hooks`, got, server };
}

async function waitFor(cond: () => boolean | Promise<boolean>, ms = 5000) {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('webhooks: signed, at-least-once, backoff, rotation, log, redelivery', () => {
  let t: TestApp;
  let auth: Record<string, string>;
  const servers: Server[] = [];
  before(async () => {
    t = await createTestApp();
    auth = { authorization: `Bearer ${t.seed.demoApiKey}` };
  });
  after(async () => {
    for (const s of servers) s.close();
    await t.close();
  });
  const now = () => Math.floor(t.clock.now().getTime() / 1000);

  test('a test event reaches a loopback receiver and its signature verifies; a wrong secret does not', async () => {
    const r = await receiver(() => 200);
    servers.push(r.server);
    const created = await t.app.inject({
      method: 'POST',
      url: '/v1/webhooks',
      headers: auth,
      payload: { url: r.url },
    });
    assert.equal(created.statusCode, 201, created.body);
    const { endpoint, secret } = created.json();
    assert.match(secret, /^whsec_/);
    const sent = await t.app.inject({
      method: 'POST',
      url: `/v1/webhooks/${endpoint.id}/test`,
      headers: auth,
    });
    assert.equal(sent.statusCode, 202);
    await publicApiOf(t.ctx).webhooks.deliverDue();
    await waitFor(() => r.got.length >= 1);
    const msg = r.got[0]!;
    assert.equal(msg.type, 'webhook.test');
    assert.ok(verifySignature(msg.signature, msg.body, secret, now()));
    assert.ok(!verifySignature(msg.signature, msg.body, 'whsec_wrong', now()));
    assert.ok(!verifySignature(msg.signature, `${msg.body} `, secret, now()), 'a changed body fails');
    assert.ok(!verifySignature(msg.signature, msg.body, secret, now() + 3600), 'an old timestamp fails');
    await waitFor(async () => {
      const log = await t.app.inject({
        method: 'GET',
        url: `/v1/webhooks/${endpoint.id}/deliveries`,
        headers: auth,
      });
      const d = log.json().items[0];
      return d?.status === 'delivered' && d.last_status_code === 200 && d.log.length === 1;
    });
  });

  test('during a secret rotation both the old and the new secret verify', async () => {
    const r = await receiver(() => 200);
    servers.push(r.server);
    const { endpoint, secret: oldSecret } = (
      await t.app.inject({ method: 'POST', url: '/v1/webhooks', headers: auth, payload: { url: r.url } })
    ).json();
    const rotated = await t.app.inject({
      method: 'POST',
      url: `/v1/webhooks/${endpoint.id}/rotate-secret`,
      headers: auth,
    });
    const newSecret = rotated.json().secret;
    assert.notEqual(newSecret, oldSecret);
    await t.app.inject({ method: 'POST', url: `/v1/webhooks/${endpoint.id}/test`, headers: auth });
    await publicApiOf(t.ctx).webhooks.deliverDue();
    await waitFor(() => r.got.length >= 1);
    const msg = r.got[0]!;
    assert.equal(msg.signature.split(',').filter((p) => p.startsWith('v1=')).length, 2);
    assert.ok(verifySignature(msg.signature, msg.body, oldSecret, now()));
    assert.ok(verifySignature(msg.signature, msg.body, newSecret, now()));
    await t.app.inject({ method: 'DELETE', url: `/v1/webhooks/${endpoint.id}`, headers: auth });
  });

  test('a failing receiver is retried after 1 min, 5 min, 30 min, 2 h, 12 h, then disabled with a notice', async () => {
    let code = 500;
    const r = await receiver(() => code);
    servers.push(r.server);
    const { endpoint } = (
      await t.app.inject({ method: 'POST', url: '/v1/webhooks', headers: auth, payload: { url: r.url } })
    ).json();
    const wh = publicApiOf(t.ctx).webhooks;
    await t.app.inject({ method: 'POST', url: `/v1/webhooks/${endpoint.id}/test`, headers: auth });
    const row = async () =>
      (
        await t.db.query<{ status: string; attempts: number; next_attempt_at: Date | null }>(
          'SELECT status, attempts, next_attempt_at FROM webhook_deliveries WHERE endpoint_id = $1',
          [endpoint.id],
        )
      )[0]!;
    await waitFor(async () => (await wh.deliverDue()) >= 0 && (await row()).attempts === 1);
    for (let i = 0; i < BACKOFF_MS.length; i++) {
      const d = await row();
      assert.equal(d.status, 'pending');
      assert.equal(new Date(d.next_attempt_at!).getTime() - t.clock.now().getTime(), BACKOFF_MS[i]);
      t.clock.advance(BACKOFF_MS[i]! - 1000);
      assert.equal(await wh.deliverDue(), 0, 'not due yet');
      t.clock.advance(1000);
      await wh.deliverDue();
    }
    const last = await row();
    assert.equal(last.status, 'failed');
    assert.equal(last.attempts, MAX_ATTEMPTS);
    assert.equal(r.got.length, MAX_ATTEMPTS);
    const list = (await t.app.inject({ method: 'GET', url: '/v1/webhooks', headers: auth })).json();
    const ep = list.items.find((e: { id: string }) => e.id === endpoint.id);
    assert.equal(ep.enabled, false);
    const notices = await t.db.query(
      "SELECT 1 FROM notices WHERE template = 'webhook.disabled' AND entity_id = $1",
      [endpoint.id],
    );
    assert.equal(notices.length, 1);

    // Enabled again and redelivered by hand: the receiver now answers 204.
    code = 204;
    await t.app.inject({
      method: 'PATCH',
      url: `/v1/webhooks/${endpoint.id}`,
      headers: auth,
      payload: { enabled: true },
    });
    const log = (
      await t.app.inject({ method: 'GET', url: `/v1/webhooks/${endpoint.id}/deliveries`, headers: auth })
    ).json();
    const deliveryId = log.items[0].id;
    assert.equal(log.items[0].log.length, MAX_ATTEMPTS);
    const re = await t.app.inject({
      method: 'POST',
      url: `/v1/webhooks/deliveries/${deliveryId}/redeliver`,
      headers: auth,
    });
    assert.equal(re.statusCode, 202);
    await wh.deliverDue();
    await waitFor(async () => (await row()).status === 'delivered');
  });

  test('a URL that is not http(s) is refused with its own code', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/webhooks',
      headers: auth,
      payload: { url: 'http://user:pw@127.0.0.1/x' },
    });
    assert.equal(res.statusCode, 400);
    assert.equal(res.json().code, 'ERR_WEBHOOK_URL');
  });

  test('the customer admin manages the same endpoints from the portal: add, test, log, redeliver, rotate', async () => {
    const r = await receiver(() => 200);
    servers.push(r.server);
    const admin = await t.login('admin@demobank.vn');
    const created = await admin.request({ method: 'POST', url: '/api/webhooks', payload: { url: r.url } });
    assert.equal(created.statusCode, 201, created.body);
    const { endpoint, secret } = created.json();
    assert.match(secret, /^whsec_/);
    // One set of endpoints per customer: the integrator's API key sees what the portal added.
    const viaKey = await t.app.inject({ method: 'GET', url: '/v1/webhooks', headers: auth });
    assert.ok(viaKey.json().items.some((e: { id: string }) => e.id === endpoint.id));
    const listed = await admin.request({ method: 'GET', url: '/api/webhooks' });
    assert.ok(listed.json().items.some((e: { id: string }) => e.id === endpoint.id));

    assert.equal(
      (await admin.request({ method: 'POST', url: `/api/webhooks/${endpoint.id}/test` })).statusCode,
      202,
    );
    await publicApiOf(t.ctx).webhooks.deliverDue();
    await waitFor(() => r.got.length >= 1);
    assert.ok(verifySignature(r.got[0]!.signature, r.got[0]!.body, secret, now()));
    const log = async () =>
      (await admin.request({ method: 'GET', url: `/api/webhooks/${endpoint.id}/deliveries` })).json().items;
    await waitFor(async () => (await log())[0]?.status === 'delivered');
    const [delivery] = await log();
    const re = await admin.request({
      method: 'POST',
      url: `/api/webhooks/deliveries/${delivery.id}/redeliver`,
    });
    assert.equal(re.statusCode, 202);
    await publicApiOf(t.ctx).webhooks.deliverDue();
    await waitFor(() => r.got.length >= 2);

    const rotated = await admin.request({
      method: 'POST',
      url: `/api/webhooks/${endpoint.id}/rotate-secret`,
    });
    assert.notEqual(rotated.json().secret, secret);
    assert.ok(rotated.json().endpoint.secret_rotating_until);
    const off = await admin.request({
      method: 'PATCH',
      url: `/api/webhooks/${endpoint.id}`,
      payload: { enabled: false },
    });
    assert.equal(off.json().enabled, false);
    assert.equal(
      (await admin.request({ method: 'DELETE', url: `/api/webhooks/${endpoint.id}` })).statusCode,
      204,
    );
    assert.equal(
      (await admin.request({ method: 'GET', url: `/api/webhooks/${endpoint.id}/deliveries` })).json().code,
      'ERR_WEBHOOK_NOT_FOUND',
    );
    // Staff have no customer of their own: the portal's webhook routes are the customer admin's.
    const staff = await t.login('admin@ekyc.local');
    assert.equal((await staff.request({ method: 'GET', url: '/api/webhooks' })).statusCode, 403);
    assert.equal((await t.app.inject({ method: 'GET', url: '/api/webhooks' })).statusCode, 401);
  });
});
