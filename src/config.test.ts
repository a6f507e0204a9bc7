import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, loadConfig } from './config.ts';

test('with no environment the embedded defaults apply', () => {
  const c = loadConfig({});
  assert.equal(c.port, 3000);
  assert.equal(c.databaseUrl, undefined);
  assert.equal(c.adminEmail, 'admin@ekyc.local');
  assert.equal(c.seedDemoData, true);
  assert.match(c.dataDir, /data$/);
});

test('a bad value fails at start and names the variable', () => {
  const cases: Array<[Record<string, string>, string]> = [
    [{ PORT: 'abc' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL'],
    [{ DATABASE_URL: 'not a url' }, 'DATABASE_URL'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ COOKIE_SECURE: 'maybe' }, 'COOKIE_SECURE'],
    [{ EKYC_ADMIN_EMAIL: 'nobody' }, 'EKYC_ADMIN_EMAIL'],
    [{ EKYC_ADMIN_PASSWORD: 'short' }, 'EKYC_ADMIN_PASSWORD'],
    [{ EKYC_DEMO_API_KEY: 'has spaces in it and is long enough' }, 'EKYC_DEMO_API_KEY'],
  ];
  for (const [env, variable] of cases) {
    assert.throws(
      () => loadConfig(env),
      (err: unknown) =>
        err instanceof ConfigError && err.variable === variable && err.message.includes(variable),
      `${JSON.stringify(env)} should fail on ${variable}`,
    );
  }
});

test('production turns demo data off and secure cookies on', () => {
  const c = loadConfig({ NODE_ENV: 'production' });
  assert.equal(c.seedDemoData, false);
  assert.equal(c.cookieSecure, true);
});
