import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestApp, type TestApp } from '../../../test/app.ts';

describe('logging in', () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp({ env: { LOGIN_MAX_FAILURES: '3' } });
  });
  after(() => t.close());

  test('a demo user logs in and gets an HttpOnly, SameSite session cookie and a CSRF token', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { email: 'OPERATOR@ekyc.local', password: 'Demo@2026' },
    });
    assert.equal(res.statusCode, 200);
    const session = res.cookies.find((c) => c.name === 'ekyc_session');
    assert.ok(session);
    assert.equal(session.httpOnly, true);
    assert.equal(session.sameSite, 'Lax');
    const body = res.json();
    assert.equal(body.user.role, 'operator');
    assert.ok(body.csrf_token.length >= 20);
    const me = await t.app.inject({
      method: 'GET',
      url: '/api/auth/me',
      cookies: { ekyc_session: session.value },
    });
    assert.equal(me.json().email, 'operator@ekyc.local');
  });

  test('the session token is stored only as a hash', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { email: 'am@ekyc.local', password: 'Demo@2026' },
    });
    const token = res.cookies.find((c) => c.name === 'ekyc_session')!.value;
    const rows = await t.db.query<{ token_hash: string }>('SELECT token_hash FROM user_sessions');
    assert.ok(rows.length > 0);
    assert.ok(rows.every((r) => r.token_hash !== token && /^[0-9a-f]{64}$/.test(r.token_hash)));
  });

  test('a wrong password and an unknown email get the same 401', async () => {
    const wrong = await t.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { email: 'kam@ekyc.local', password: 'nope' },
    });
    const unknown = await t.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { email: 'ghost@ekyc.local', password: 'nope' },
    });
    assert.equal(wrong.statusCode, 401);
    assert.equal(unknown.statusCode, 401);
    assert.equal(wrong.json().code, 'ERR_INVALID_CREDENTIALS');
    assert.equal(unknown.json().code, 'ERR_INVALID_CREDENTIALS');
  });

  test('after repeated failures the account is throttled from that address, even with the right password', async () => {
    const attempt = (password: string) =>
      t.app.inject({
        method: 'POST',
        url: '/api/auth/login',
        payload: { email: 'support@ekyc.local', password },
        remoteAddress: '203.0.113.9',
      });
    for (let i = 0; i < 3; i++) assert.equal((await attempt('bad')).statusCode, 401);
    const blocked = await attempt('Demo@2026');
    assert.equal(blocked.statusCode, 429);
    assert.equal(blocked.json().code, 'ERR_TOO_MANY_ATTEMPTS');
    assert.ok(Number(blocked.headers['retry-after']) > 0);
    // Another address is not blocked by this one's failures.
    const other = await t.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { email: 'support@ekyc.local', password: 'Demo@2026' },
      remoteAddress: '198.51.100.7',
    });
    assert.equal(other.statusCode, 200);
    // When the window has passed, the right password works again.
    t.clock.advance(16 * 60_000);
    assert.equal((await attempt('Demo@2026')).statusCode, 200);
  });

  test('a cookie-authenticated write without the CSRF token is refused', async () => {
    const admin = await t.login('admin@ekyc.local');
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/customers/cus_demobank/api-keys',
      headers: { cookie: admin.cookie },
      payload: { name: 'x' },
    });
    assert.equal(res.statusCode, 403);
    assert.equal(res.json().code, 'ERR_CSRF');
    const wrong = await t.app.inject({
      method: 'POST',
      url: '/api/customers/cus_demobank/api-keys',
      headers: { cookie: admin.cookie, 'x-csrf-token': 'forged-token-value' },
      payload: { name: 'x' },
    });
    assert.equal(wrong.json().code, 'ERR_CSRF');
  });

  test('without a session a back-office route answers 401', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/customers' });
    assert.equal(res.statusCode, 401);
    assert.equal(res.json().code, 'ERR_UNAUTHENTICATED');
  });

  test('after logout the session no longer works', async () => {
    const user = await t.login('kam@ekyc.local');
    assert.equal((await user.request({ method: 'POST', url: '/api/auth/logout' })).statusCode, 204);
    assert.equal((await user.request({ method: 'GET', url: '/api/auth/me' })).statusCode, 401);
  });

  test('a session expires after its lifetime', async () => {
    const user = await t.login('ctkv1@ekyc.local');
    t.clock.advance(13 * 3_600_000);
    assert.equal((await user.request({ method: 'GET', url: '/api/auth/me' })).statusCode, 401);
  });

  test('logins are audited, and only an admin reads the audit log', async () => {
    const admin = await t.login('admin@ekyc.local');
    const res = await admin.request({ method: 'GET', url: '/api/audit?entity_type=user&limit=5' });
    assert.equal(res.statusCode, 200);
    assert.ok(res.json().items.some((e: { action: string }) => e.action === 'auth.login'));
    const operator = await t.login('operator@ekyc.local');
    assert.equal((await operator.request({ method: 'GET', url: '/api/audit' })).statusCode, 403);
  });
});
