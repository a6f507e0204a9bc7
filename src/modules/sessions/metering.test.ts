import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { createTestApp } from '../../../test/app.ts';
import { onBothEngines } from '../../../test/db.ts';
import { SHARED_DATA } from './test-helpers.ts';

function chipFile(name: string): string {
  const p = path.join(SHARED_DATA, 'emrtd/jmrtd_loes2006_NL_specimen', name);
  if (!existsSync(p)) throw new Error(`Shared test data missing: ${p}`);
  return readFileSync(p).toString('base64');
}

onBothEngines(
  '200 concurrent billable requests write exactly 200 usage events; replays add none',
  async (engine) => {
    const t = await createTestApp({ engine });
    try {
      const auth = { authorization: `Bearer ${t.seed.demoApiKey}` };
      await t.db.query(
        'INSERT INTO customer_rate_limits (customer_id, requests_per_second, burst) VALUES ($1, 1000, 1000)',
        [t.seed.demoCustomerId],
      );
      const body = { sod: chipFile('ef011D.bin'), dg1: chipFile('ef0101.bin'), com: chipFile('ef011E.bin') };
      const send = (i: number) =>
        t.app.inject({
          method: 'POST',
          url: '/v1/chip/verify',
          headers: { ...auth, 'idempotency-key': `conc-${i}` },
          payload: body,
        });
      const answers = await Promise.all(Array.from({ length: 200 }, (_, i) => send(i)));
      const ok = answers.filter((a) => a.statusCode === 200).length;
      assert.equal(ok, 200, answers.find((a) => a.statusCode !== 200)?.body);
      // Retries of 50 of them (same keys, same bodies) are replays: answered, not billed again.
      const replays = await Promise.all(Array.from({ length: 50 }, (_, i) => send(i)));
      assert.ok(replays.every((a) => a.statusCode === 200 && a.headers['idempotent-replayed'] === 'true'));
      const [row] = await t.db.query<{ n: number; d: number }>(
        "SELECT count(*)::int AS n, count(DISTINCT request_id)::int AS d FROM usage_events WHERE kind = 'chip_verify'",
      );
      assert.equal(row!.n, 200);
      assert.equal(row!.d, 200);
      // A rejected request (validation) is not billed.
      const bad = await t.app.inject({
        method: 'POST',
        url: '/v1/chip/verify',
        headers: auth,
        payload: { sod: 5 },
      });
      assert.equal(bad.statusCode, 400);
      const [after] = await t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM usage_events');
      assert.equal(after!.n, 200);
    } finally {
      await t.close();
    }
  },
);
