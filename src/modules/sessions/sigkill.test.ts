import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import pg from 'pg';
import { TEST_POSTGRES_URL } from '../../../test/db.ts';
import { type Started, startService } from '../../../test/service.ts';
import { usageEventIdFor } from '../../http/billable.ts';
import { SHARED_DATA } from './test-helpers.ts';

/**
 * The real service on PostgreSQL, killed with SIGKILL in the middle of 200 concurrent billable
 * requests, restarted, and the unanswered requests retried with their Idempotency-Key: no request
 * answered 200 is unmetered, none is metered twice.
 */
const TOTAL = 200;
const KEY = `mfk_sigkill_${randomBytes(16).toString('hex')}`;

function chipFile(name: string): string {
  const p = path.join(SHARED_DATA, 'emrtd/jmrtd_loes2006_NL_specimen', name);
  if (!existsSync(p)) throw new Error(`Shared test data missing: ${p}`);
  return readFileSync(p).toString('base64');
}

const start = (databaseUrl: string): Promise<Started> =>
  startService({ DATABASE_URL: databaseUrl, EKYC_DEMO_API_KEY: KEY, EKYC_IDEMPOTENCY_STALE_MS: '500' });

async function postgresUp(): Promise<boolean> {
  const c = new pg.Client({ connectionString: TEST_POSTGRES_URL, connectionTimeoutMillis: 2000 });
  try {
    await c.connect();
    await c.end();
    return true;
  } catch {
    return false;
  }
}

test('SIGKILL mid-run on PostgreSQL: after a restart and retries, every 200 is metered exactly once', async (t) => {
  if (!(await postgresUp())) {
    if (process.env.CI) assert.fail(`PostgreSQL is not reachable at ${TEST_POSTGRES_URL}`);
    t.skip('PostgreSQL not reachable');
    return;
  }
  const name = `ekyc_sigkill_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: TEST_POSTGRES_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(TEST_POSTGRES_URL);
  url.pathname = `/${name}`;
  const db = new pg.Client({ connectionString: url.toString() });
  let first: Started | undefined;
  let second: Started | undefined;
  try {
    first = await start(url.toString());
    await db.connect();
    const [{ id: customerId }] = (
      await db.query<{ id: string }>('SELECT customer_id AS id FROM api_keys ORDER BY created_at LIMIT 1')
    ).rows as [{ id: string }];
    await db.query(
      `INSERT INTO customer_rate_limits (customer_id, requests_per_second, burst) VALUES ($1, 10000, 10000)
       ON CONFLICT (customer_id) DO UPDATE SET requests_per_second = 10000, burst = 10000`,
      [customerId],
    );
    const body = JSON.stringify({
      sod: chipFile('ef011D.bin'),
      dg1: chipFile('ef0101.bin'),
      com: chipFile('ef011E.bin'),
    });
    const send = (port: number, i: number) =>
      fetch(`http://127.0.0.1:${port}/v1/chip/verify`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${KEY}`,
          'content-type': 'application/json',
          'idempotency-key': `kill-${i}`,
        },
        body,
      }).then(
        async (r) => ({
          status: r.status,
          replayed: r.headers.get('idempotent-replayed') === 'true',
          text: await r.text(),
        }),
        () => ({ status: 0, replayed: false, text: 'connection lost' }),
      );

    // Phase 1: all 200 in flight (50 at a time); SIGKILL once about a third have answered.
    const answered = new Map<number, number>();
    const killAt = Math.floor(TOTAL / 3);
    let killed = false;
    const s1 = first;
    let next = 0;
    const worker = async () => {
      while (next < TOTAL) {
        const i = next++;
        const r = await send(s1.port, i);
        answered.set(i, r.status);
        if (!killed && [...answered.values()].filter((s) => s === 200).length >= killAt) {
          killed = true;
          s1.child.kill('SIGKILL');
        }
      }
    };
    await Promise.all(Array.from({ length: 50 }, worker));
    await s1.exit;
    const okBefore = [...answered].filter(([, s]) => s === 200).map(([i]) => i);
    assert.ok(killed, 'the service was killed mid-run');
    assert.ok(okBefore.length < TOTAL, 'some requests were cut off by the kill');

    // Phase 2: restart and retry every request not answered 200, with its key, until it is.
    second = await start(url.toString());
    const s2 = second;
    const pending = Array.from({ length: TOTAL }, (_, i) => i).filter((i) => answered.get(i) !== 200);
    const deadline = Date.now() + 60_000;
    let todo = pending;
    while (todo.length > 0 && Date.now() < deadline) {
      const results = await Promise.all(todo.map(async (i) => ({ i, r: await send(s2.port, i) })));
      todo = results.filter(({ r }) => r.status !== 200).map(({ i }) => i);
      for (const { r } of results) {
        if (r.status !== 200)
          assert.ok([409, 0].includes(r.status), `unexpected ${r.status}: ${r.text.slice(0, 300)}`);
      }
      if (todo.length > 0) await new Promise((r) => setTimeout(r, 300));
    }
    assert.deepEqual(todo, [], 'every request is eventually answered 200');
    t.diagnostic(
      `answered 200 before the kill: ${okBefore.length}; retried after restart: ${pending.length}`,
    );
    // Replays of answered requests are not billed again.
    const replays = await Promise.all(okBefore.slice(0, 20).map((i) => send(s2.port, i)));
    assert.ok(replays.every((r) => r.status === 200 && r.replayed));

    const rows = (
      await db.query<{ request_id: string; n: number }>(
        `SELECT request_id, count(*)::int AS n FROM usage_events WHERE kind = 'chip_verify' GROUP BY request_id`,
      )
    ).rows;
    const events = new Map(rows.map((r) => [r.request_id, r.n]));
    for (let i = 0; i < TOTAL; i++) {
      assert.equal(events.get(usageEventIdFor(customerId, `kill-${i}`)), 1, `request ${i} metered once`);
    }
    assert.equal(rows.length, TOTAL, 'no usage event for anything else');
  } finally {
    first?.child.kill('SIGKILL');
    if (second) {
      second.child.kill('SIGTERM');
      await second.exit;
    }
    await db.end().catch(() => {});
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => {});
    await admin.end();
  }
});
