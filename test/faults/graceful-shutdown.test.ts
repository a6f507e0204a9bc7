import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { usageEventIdFor } from '../../src/http/billable.ts';
import { SHARED_DATA } from '../../src/modules/sessions/test-helpers.ts';
import { apiKey, requirePostgres, type Started, startOn, throwawayDatabase, unlimited } from './harness.ts';

/**
 * SIGTERM under a steady load of billable requests: the service finishes what it accepted and
 * exits 0. Every request is either answered 200 or refused (connection refused or closed, 503
 * while closing), and the usage events are exactly the 200 answers: nothing accepted is lost or
 * billed without an answer.
 */
const WORKERS = 16;

function chipFile(name: string): string {
  const p = path.join(SHARED_DATA, 'emrtd/jmrtd_loes2006_NL_specimen', name);
  if (!existsSync(p)) throw new Error(`Shared test data missing: ${p}`);
  return readFileSync(p).toString('base64');
}

type Outcome = { i: number; status: number; at: number; error?: string };

test('SIGTERM under load: every accepted request is answered and metered once; the rest are refused', async (t) => {
  if (!(await requirePostgres(t))) return;
  const db = await throwawayDatabase('sigterm');
  const key = apiKey();
  let svc: Started | undefined;
  try {
    svc = await startOn(db.url, key);
    const s = svc;
    await db.client.connect();
    const customerId = await unlimited(db.client);
    const body = JSON.stringify({
      sod: chipFile('ef011D.bin'),
      dg1: chipFile('ef0101.bin'),
      com: chipFile('ef011E.bin'),
    });
    const outcomes: Outcome[] = [];
    let next = 0;
    let termAt = 0;
    let stop = false;
    const send = (i: number): Promise<Outcome> =>
      fetch(`http://127.0.0.1:${s.port}/v1/chip/verify`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${key}`,
          'content-type': 'application/json',
          'idempotency-key': `term-${i}`,
        },
        body,
      }).then(
        async (r) => {
          await r.arrayBuffer();
          return { i, status: r.status, at: performance.now() };
        },
        (err: Error & { cause?: { code?: string; message?: string } }) => ({
          i,
          status: 0,
          at: performance.now(),
          error: err.cause?.code ?? err.cause?.message ?? err.message,
        }),
      );
    const worker = async () => {
      while (!stop) {
        const o = await send(next++);
        outcomes.push(o);
        if (!termAt && outcomes.filter((x) => x.status === 200).length >= 100) {
          termAt = performance.now();
          s.child.kill('SIGTERM');
        }
        // After the stop began, keep knocking until the listener is gone.
        if (termAt && o.status === 0 && o.error === 'ECONNREFUSED') stop = true;
      }
    };
    const exit = s.exit;
    await Promise.all(Array.from({ length: WORKERS }, worker));
    assert.equal(
      await exit,
      0,
      `graceful exit:\n${s
        .output()
        .split('\n')
        .filter((l) => !l.includes('"msg":"request"'))
        .slice(-30)
        .join('\n')}`,
    );
    svc = undefined;

    const ok = outcomes.filter((o) => o.status === 200);
    const answeredAfterTerm = ok.filter((o) => o.at > termAt).length;
    const refused = outcomes.filter((o) => o.status !== 200);
    for (const o of refused) {
      assert.ok(o.status === 503 || o.status === 0, `request ${o.i}: ${o.status} ${o.error ?? ''}`);
    }
    assert.ok(answeredAfterTerm > 0, 'requests in flight at SIGTERM were answered');
    const { rows } = await db.client.query<{ request_id: string }>(
      `SELECT request_id FROM usage_events WHERE customer_id = $1 AND kind = 'chip_verify'`,
      [customerId],
    );
    const metered = new Set(rows.map((r) => r.request_id));
    assert.equal(rows.length, metered.size, 'no request metered twice');
    for (const o of ok)
      assert.ok(metered.has(usageEventIdFor(customerId, `term-${o.i}`)), `200 #${o.i} metered`);
    assert.equal(rows.length, ok.length, 'usage events equal the 200 answers');
    const errors = [...new Set(refused.map((o) => `${o.status} ${o.error ?? ''}`))];
    t.diagnostic(
      `200: ${ok.length} (${answeredAfterTerm} after SIGTERM); refused: ${refused.length} (${errors.join(', ')})`,
    );
  } finally {
    if (svc) {
      svc.child.kill('SIGKILL');
      await svc.exit;
    }
    await db.drop();
  }
});
