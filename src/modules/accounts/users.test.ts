import assert from 'node:assert/strict';
import { createTestApp } from '../../../test/app.ts';
import { onBothEngines } from '../../../test/db.ts';
import { createUserService } from './users.service.ts';

onBothEngines(
  'Users: admin lists, creates, re-roles and disables staff; every change audited',
  async (engine) => {
    const t = await createTestApp({ engine });
    try {
      const admin = await t.login('admin@ekyc.local');

      // Only an admin manages users.
      for (const email of ['operator@ekyc.local', 'ctkv1@ekyc.local', 'admin@demobank.vn']) {
        const other = await t.login(email);
        const list = await other.request({ method: 'GET', url: '/api/users' });
        assert.equal(list.statusCode, 403, email);
        const create = await other.request({
          method: 'POST',
          url: '/api/users',
          payload: { email: 'x@ekyc.local', full_name: 'X', role: 'operator' },
        });
        assert.equal(create.statusCode, 403, email);
        assert.equal(create.json().code, 'ERR_FORBIDDEN');
      }

      // Filters by role and unit; never the password hash.
      const units = await admin.request({
        method: 'GET',
        url: '/api/users?role=unit_user&unit_id=unt_ctkv1',
      });
      assert.equal(units.statusCode, 200);
      assert.deepEqual(
        units.json().items.map((u: { email: string }) => u.email),
        ['ctkv1@ekyc.local'],
      );
      assert.ok(!units.body.includes('argon2'));
      const limited = await admin.request({ method: 'GET', url: '/api/users?limit=2' });
      assert.equal(limited.json().items.length, 2);

      // Create: the temporary password works once given, and is stored only as a hash.
      const created = await admin.request({
        method: 'POST',
        url: '/api/users',
        payload: {
          email: 'New.User@ekyc.local',
          full_name: 'Người Dùng Mới',
          role: 'agent_user',
          unit_id: 'unt_agent1',
        },
      });
      assert.equal(created.statusCode, 201, created.body);
      const { user, temporary_password } = created.json();
      assert.equal(user.email, 'new.user@ekyc.local');
      assert.equal(user.unit_id, 'unt_agent1');
      const [stored] = await t.db.query<{ password_hash: string }>(
        'SELECT password_hash FROM users WHERE id = $1',
        [user.id],
      );
      assert.match(stored!.password_hash, /^\$argon2id\$/);
      const newcomer = await t.login('new.user@ekyc.local', temporary_password);

      // Duplicate email (any case) is a 409 with a code; a bad role or unit is a 400.
      const dup = await admin.request({
        method: 'POST',
        url: '/api/users',
        payload: { email: 'NEW.USER@ekyc.local', full_name: 'Dup', role: 'operator' },
      });
      assert.equal(dup.statusCode, 409);
      assert.equal(dup.json().code, 'ERR_EMAIL_TAKEN');
      const badInputs: Array<[Record<string, unknown>, string]> = [
        [{ role: 'superuser' }, 'ERR_VALIDATION'],
        [{ role: 'customer_admin' }, 'ERR_VALIDATION'],
        [{ role: 'unit_user' }, 'ERR_USER_UNIT'],
        [{ role: 'unit_user', unit_id: 'unt_agent1' }, 'ERR_USER_UNIT'],
        [{ role: 'agent_user', unit_id: 'unt_nosuch' }, 'ERR_USER_UNIT'],
        [{ role: 'operator', unit_id: 'unt_ctkv1' }, 'ERR_USER_UNIT'],
      ];
      for (const [extra, code] of badInputs) {
        const res = await admin.request({
          method: 'POST',
          url: '/api/users',
          payload: { email: 'bad@ekyc.local', full_name: 'Bad', ...extra },
        });
        assert.equal(res.statusCode, 400, JSON.stringify(extra));
        assert.equal(res.json().code, code, JSON.stringify(extra));
      }

      // Change role and unit: a new role without a unit drops the old one.
      const moved = await admin.request({
        method: 'PATCH',
        url: `/api/users/${user.id}`,
        payload: { role: 'unit_user', unit_id: 'unt_ctkv1' },
      });
      assert.equal(moved.statusCode, 200, moved.body);
      assert.deepEqual([moved.json().role, moved.json().unit_id], ['unit_user', 'unt_ctkv1']);
      const op = await admin.request({
        method: 'PATCH',
        url: `/api/users/${user.id}`,
        payload: { role: 'operator' },
      });
      assert.deepEqual([op.json().role, op.json().unit_id], ['operator', null]);
      const noUnit = await admin.request({
        method: 'PATCH',
        url: `/api/users/${user.id}`,
        payload: { role: 'agent_user' },
      });
      assert.equal(noUnit.json().code, 'ERR_USER_UNIT');

      // Disabling ends the user's sessions and login; enabling restores login.
      const disabled = await admin.request({
        method: 'PATCH',
        url: `/api/users/${user.id}`,
        payload: { active: false },
      });
      assert.equal(disabled.json().active, false);
      assert.equal((await newcomer.request({ method: 'GET', url: '/api/auth/me' })).statusCode, 401);
      await assert.rejects(t.login('new.user@ekyc.local', temporary_password));
      const inactive = await admin.request({ method: 'GET', url: '/api/users?active=false' });
      assert.deepEqual(
        inactive.json().items.map((u: { id: string }) => u.id),
        [user.id],
      );
      await admin.request({ method: 'PATCH', url: `/api/users/${user.id}`, payload: { active: true } });
      const reenabled = await t.login('new.user@ekyc.local', temporary_password);
      const forced = await reenabled.request({ method: 'GET', url: '/api/users' });
      assert.equal(forced.json().code, 'ERR_PASSWORD_CHANGE_REQUIRED');

      // An admin cannot disable or demote themselves, nor can the last admin go.
      for (const payload of [{ active: false }, { role: 'operator' }]) {
        const self = await admin.request({ method: 'PATCH', url: '/api/users/usr_admin', payload });
        assert.equal(self.statusCode, 409);
        assert.equal(self.json().code, 'ERR_USER_SELF');
      }
      // A second admin may disable the first; re-enabled, the first demotes the second back.
      const second = await admin.request({
        method: 'PATCH',
        url: `/api/users/${user.id}`,
        payload: { role: 'admin' },
      });
      assert.equal(second.statusCode, 200);
      // The handed-over password must be replaced before the new admin can do anything.
      const firstLogin = await t.login('new.user@ekyc.local', temporary_password);
      const changed = await firstLogin.request({
        method: 'POST',
        url: '/api/auth/password',
        payload: { current_password: temporary_password, new_password: 'Second-admin-2026' },
      });
      assert.equal(changed.statusCode, 200, changed.body);
      const secondAdmin = await t.login('new.user@ekyc.local', 'Second-admin-2026');
      const off = await secondAdmin.request({
        method: 'PATCH',
        url: '/api/users/usr_admin',
        payload: { active: false },
      });
      assert.equal(off.statusCode, 200);
      const on = await secondAdmin.request({
        method: 'PATCH',
        url: '/api/users/usr_admin',
        payload: { active: true },
      });
      assert.equal(on.statusCode, 200);
      const admin1 = await t.login('admin@ekyc.local');
      const back = await admin1.request({
        method: 'PATCH',
        url: `/api/users/${user.id}`,
        payload: { role: 'operator' },
      });
      assert.equal(back.statusCode, 200);
      // Two admins demoting each other at once: whoever commits second finds the other the last admin.
      // The guard passed for both; here the loser acts after it has lost its admin role.
      await assert.rejects(
        createUserService({ db: t.db }).update('usr_admin', { active: false }, { type: 'user', id: user.id }),
        (err: { code?: string }) => err.code === 'ERR_LAST_ADMIN',
      );

      const audit = await t.db.query<{ action: string; details: Record<string, unknown> }>(
        `SELECT action, details FROM audit_log WHERE entity_type = 'user' AND action LIKE 'user.%' ORDER BY id`,
      );
      assert.deepEqual(
        audit.map((a) => a.action),
        ['user.create', ...Array(8).fill('user.update')],
      );
      assert.deepEqual(audit[1]!.details, {
        role: { from: 'agent_user', to: 'unit_user' },
        unit_id: { from: 'unt_agent1', to: 'unt_ctkv1' },
      });
    } finally {
      await t.close();
    }
  },
);
