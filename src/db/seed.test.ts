import assert from 'node:assert/strict';
import { testConfig } from '../../test/app.ts';
import { freshDatabase, onBothEngines } from '../../test/db.ts';
import { fixedClock } from '../lib/clock.ts';
import { migrate, pendingMigrations } from './migrate.ts';
import { seed } from './seed.ts';

const COUNTED = ['units', 'users', 'customers', 'contracts', 'api_keys'] as const;

onBothEngines('a restart migrates and seeds again without duplicating anything', async (engine) => {
  const db = await freshDatabase(engine);
  try {
    const clock = fixedClock('2026-11-24T03:00:00Z');
    const config = testConfig();
    const first = await seed(db, config, clock);
    assert.match(first.demoApiKey ?? '', /^mfk_/, 'the first start issues a demo key and shows it');
    const counts = async () =>
      Object.fromEntries(
        await Promise.all(
          COUNTED.map(async (t) => [
            t,
            (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${t}`))[0]!.n,
          ]),
        ),
      );
    const before = await counts();
    assert.deepEqual(await migrate(db), [], 'no migration runs twice');
    assert.deepEqual(await pendingMigrations(db), []);
    const second = await seed(db, config, clock);
    assert.equal(second.demoApiKey, null, 'a random demo key is shown only once');
    assert.deepEqual(await counts(), before);
    assert.equal(before.units, 12, 'IT Center, CTKV 1–9 and two agents');
    assert.equal(before.contracts, 1);
  } finally {
    await db.close();
  }
});

onBothEngines(
  'EKYC_ADMIN_PASSWORD and EKYC_DEMO_API_KEY set the admin login and the demo key',
  async (engine) => {
    const db = await freshDatabase(engine);
    try {
      const clock = fixedClock('2026-11-24T03:00:00Z');
      const key = 'demo_key_for_scripts_0123456789';
      const config = testConfig({
        EKYC_ADMIN_EMAIL: 'root@bank.test',
        EKYC_ADMIN_PASSWORD: 'S3cret-pass',
        EKYC_DEMO_API_KEY: key,
      });
      const report = await seed(db, config, clock);
      assert.equal(report.demoApiKey, key);
      await seed(db, config, clock);
      const keys = await db.query(`SELECT 1 FROM api_keys WHERE customer_id = 'cus_demobank'`);
      assert.equal(keys.length, 1);
      const admins = await db.query<{ email: string }>(`SELECT email FROM users WHERE role = 'admin'`);
      assert.deepEqual(
        admins.map((a) => a.email),
        ['root@bank.test'],
      );
      // A new password in the environment replaces the old one at the next start.
      const changed = testConfig({
        EKYC_ADMIN_EMAIL: 'root@bank.test',
        EKYC_ADMIN_PASSWORD: 'Another-pass-2',
      });
      await seed(db, changed, clock);
      const { verifyPassword } = await import('../modules/accounts/passwords.ts');
      const [row] = await db.query<{ password_hash: string }>(
        `SELECT password_hash FROM users WHERE email = 'root@bank.test'`,
      );
      assert.equal(await verifyPassword(row!.password_hash, 'Another-pass-2'), true);
      assert.match(row!.password_hash, /^\$argon2id\$/);
    } finally {
      await db.close();
    }
  },
);

onBothEngines('readiness fails while a migration is pending', async (engine) => {
  const db = await freshDatabase(engine);
  try {
    await db.query(`DELETE FROM schema_migrations WHERE version = '0001_foundation.sql'`);
    assert.deepEqual(await pendingMigrations(db), ['0001_foundation.sql']);
    const { buildApp } = await import('../app.ts');
    const { app } = await buildApp({ config: testConfig(), db });
    const res = await app.inject({ method: 'GET', url: '/health/ready' });
    assert.equal(res.statusCode, 503);
    assert.equal(res.json().code, 'ERR_UNAVAILABLE');
    assert.equal(res.json().checks.migrations.ok, false);
    await app.close();
  } finally {
    await db.close();
  }
});
