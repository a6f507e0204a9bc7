import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createTestApp, DEMO_PASSWORD } from '../../../test/app.ts';
import { onBothEngines } from '../../../test/db.ts';
import { weakPasswordReason } from './auth.service.ts';

onBothEngines(
  'a user created with a temporary password can do nothing but change it; then everything works',
  async (engine) => {
    const t = await createTestApp({ engine, env: { LOGIN_MAX_FAILURES: '3' } });
    try {
      const admin = await t.login('admin@ekyc.local');
      const created = await admin.request({
        method: 'POST',
        url: '/api/users',
        payload: { email: 'first.login@ekyc.local', full_name: 'Lần Đầu', role: 'operator' },
      });
      assert.equal(created.statusCode, 201, created.body);
      const temporary = created.json().temporary_password as string;

      const login = await t.app.inject({
        method: 'POST',
        url: '/api/auth/login',
        payload: { email: 'first.login@ekyc.local', password: temporary },
      });
      assert.equal(login.json().user.must_change_password, true);
      const user = await t.login('first.login@ekyc.local', temporary);
      const other = await t.login('first.login@ekyc.local', temporary);

      // Every other /api call, read or write, answers 403 with the stable code until the change.
      for (const [method, url, payload] of [
        ['GET', '/api/tasks', undefined],
        ['GET', '/api/customers', undefined],
        ['GET', '/api/users', undefined],
        ['PUT', '/api/calendar/days/2026-12-31', { kind: 'holiday', name_vi: 'x' }],
      ] as const) {
        const res = await user.request({ method, url, ...(payload ? { payload } : {}) });
        assert.equal(res.statusCode, 403, `${method} ${url}`);
        assert.equal(res.json().code, 'ERR_PASSWORD_CHANGE_REQUIRED', `${method} ${url}`);
        assert.match(res.headers['content-type'] as string, /application\/problem\+json/);
      }
      // Who am I (the portal needs it to show the form) and log out still work.
      const me = await user.request({ method: 'GET', url: '/api/auth/me' });
      assert.equal(me.statusCode, 200);
      assert.equal(me.json().must_change_password, true);

      const change = (c: typeof user, current: string, next: string) =>
        c.request({
          method: 'POST',
          url: '/api/auth/password',
          payload: { current_password: current, new_password: next },
        });
      // Without the CSRF token a change is refused like any write.
      const noCsrf = await t.app.inject({
        method: 'POST',
        url: '/api/auth/password',
        headers: { cookie: user.cookie },
        payload: { current_password: temporary, new_password: 'Mat-khau-moi-2026' },
      });
      assert.equal(noCsrf.json().code, 'ERR_CSRF');
      const wrong = await change(user, 'not-it', 'Mat-khau-moi-2026');
      assert.equal(wrong.statusCode, 400);
      assert.equal(wrong.json().code, 'ERR_CURRENT_PASSWORD_WRONG');
      for (const weak of ['short1', 'onlyletterslong', temporary, 'first.login-2026']) {
        const res = await change(user, temporary, weak);
        assert.equal(res.json().code, 'ERR_PASSWORD_WEAK', weak);
      }
      // Still required after failed attempts.
      assert.equal((await user.request({ method: 'GET', url: '/api/tasks' })).statusCode, 403);

      const ok = await change(user, temporary, 'Mat-khau-moi-2026');
      assert.equal(ok.statusCode, 200, ok.body);
      assert.equal(ok.json().must_change_password, false);
      assert.equal((await user.request({ method: 'GET', url: '/api/tasks' })).statusCode, 200);
      // The other session (maybe someone who also had the handed-over password) has ended.
      assert.equal((await other.request({ method: 'GET', url: '/api/auth/me' })).statusCode, 401);
      // The temporary password no longer logs in; the new one does, with nothing more to change.
      await assert.rejects(t.login('first.login@ekyc.local', temporary));
      const again = await t.login('first.login@ekyc.local', 'Mat-khau-moi-2026');
      const meAgain = await again.request({ method: 'GET', url: '/api/auth/me' });
      assert.equal(meAgain.json().must_change_password, false);

      const audit = await t.db.query<{ details: Record<string, unknown> }>(
        `SELECT details FROM audit_log WHERE action = 'auth.password_change' AND entity_id = $1`,
        [created.json().user.id],
      );
      assert.deepEqual(
        audit.map((a) => a.details),
        [{ was_temporary: true }],
      );

      // A wrong current password counts as a failed login: the throttle applies here too.
      const demo = await t.login('operator@ekyc.local');
      for (let i = 0; i < 3; i++) await change(demo, 'wrong-password', 'Another-pass-2026');
      const throttled = await change(demo, DEMO_PASSWORD, 'Another-pass-2026');
      assert.equal(throttled.statusCode, 429);
      assert.equal(throttled.json().code, 'ERR_TOO_MANY_ATTEMPTS');
    } finally {
      await t.close();
    }
  },
);

onBothEngines('demo users are not asked to change their password', async (engine) => {
  const t = await createTestApp({ engine });
  try {
    for (const email of ['admin@ekyc.local', 'admin@demobank.vn']) {
      const c = await t.login(email);
      const me = await c.request({ method: 'GET', url: '/api/auth/me' });
      assert.equal(me.json().must_change_password, false, email);
    }
  } finally {
    await t.close();
  }
});

test('a new password must be long, mixed, new and not the email', () => {
  const email = 'nguyen.van.a@ekyc.local';
  assert.equal(weakPasswordReason('Abc-12345', email, 'old'), 'at least 10 characters');
  assert.equal(weakPasswordReason('abcdefghijk', email, 'old'), 'letters and digits');
  assert.equal(weakPasswordReason('1234567890', email, 'old'), 'letters and digits');
  assert.equal(weakPasswordReason('Same-pass-2026', email, 'Same-pass-2026'), 'not the current password');
  assert.equal(weakPasswordReason('NGUYEN.VAN.A-2026', email, 'old'), 'not containing the email');
  assert.equal(weakPasswordReason('Mật-khẩu-mới-2026', email, 'old'), null);
});
