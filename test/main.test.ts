import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import pg from 'pg';
import { TEST_POSTGRES_URL } from './db.ts';
import { MAIN, startService, stopService } from './service.ts';

test('npm start with no configuration: embedded database, demo data, then a restart that reuses it', async () => {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'ekyc-main-'));
  try {
    const first = await startService({ DATA_DIR: dataDir });
    const url = `http://127.0.0.1:${first.port}`;
    assert.equal((await fetch(`${url}/health/ready`)).status, 200);
    const key = /Demo API key \(cus_demobank\): (mfk_\S+)/.exec(first.output())?.[1];
    assert.ok(key, 'the demo API key is printed');
    assert.match(first.output(), /admin@ekyc\.local/);
    assert.match(first.output(), /Portal:\s+http:\/\/localhost:\d+\//);
    const me = await fetch(`${url}/v1/me`, { headers: { authorization: `Bearer ${key}` } });
    assert.equal(me.status, 200);
    assert.equal(await stopService(first), 0, 'SIGTERM shuts down cleanly');
    assert.match(first.output(), /"msg":"stopped"/);

    const second = await startService({ DATA_DIR: dataDir });
    assert.doesNotMatch(second.output(), /migrations applied/);
    assert.doesNotMatch(second.output(), /mfk_/, 'the random key is shown only once');
    const again = await fetch(`http://127.0.0.1:${second.port}/v1/me`, {
      headers: { authorization: `Bearer ${key}` },
    });
    assert.equal(again.status, 200, 'the data survived the restart');
    assert.equal(await stopService(second), 0);
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});

test('DATABASE_URL runs the same service on PostgreSQL', async (t) => {
  const admin = new pg.Client({ connectionString: TEST_POSTGRES_URL });
  try {
    await admin.connect();
  } catch {
    if (process.env.CI) throw new Error(`PostgreSQL is not reachable at ${TEST_POSTGRES_URL}`);
    t.skip('PostgreSQL not reachable');
    return;
  }
  const name = `ekyc_main_${randomBytes(5).toString('hex')}`;
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(TEST_POSTGRES_URL);
  url.pathname = `/${name}`;
  try {
    const s = await startService({
      DATABASE_URL: url.toString(),
      EKYC_DEMO_API_KEY: 'pg_demo_key_0123456789abcdef',
    });
    assert.match(s.output(), /PostgreSQL/);
    const me = await fetch(`http://127.0.0.1:${s.port}/v1/me`, {
      headers: { authorization: 'Bearer pg_demo_key_0123456789abcdef' },
    });
    assert.equal(me.status, 200);
    assert.equal(await stopService(s), 0);
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
});

test('a bad setting stops the start with a message naming the variable', async () => {
  const child = spawn(process.execPath, [MAIN], {
    env: { ...process.env, PORT: 'eighty' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  assert.equal(code, 2);
  assert.match(err, /PORT/);
});
