import assert from 'node:assert/strict';
import { test } from 'node:test';
import type pg from 'pg';
import {
  adminHeaders,
  apiKey,
  requirePostgres,
  type Started,
  startOn,
  throwawayDatabase,
  waitFor,
} from './harness.ts';

/**
 * SIGKILL in the middle of the monthly billing run (the run writes its invoices in several
 * transactions), restart, re-run: no invoice is duplicated or half-written, and the result equals a
 * clean run over the same usage.
 */
const CUSTOMERS = 3000;
const MONTH = '2026-10';

async function seedUsage(db: pg.Client) {
  await db.query(
    `INSERT INTO customers (id, legal_name, tax_code, segment, managing_unit_id, am_user_id)
     SELECT 'cus_f' || lpad(i::text, 6, '0'), 'Khách hàng ' || i, (8000000000 + i)::text, 'bank', 'unt_ctkv1', 'usr_am'
       FROM generate_series(1, $1) AS i`,
    [CUSTOMERS],
  );
  await db.query(
    `INSERT INTO contracts (id, customer_id, edition, status, start_date, end_date, term_months, signing_unit_id,
       am_user_id, price_plan_code)
     SELECT 'ctr_f' || lpad(i::text, 6, '0'), 'cus_f' || lpad(i::text, 6, '0'), 'cloud_saas', 'active',
            '2026-01-01', '2026-12-31', 12, 'unt_ctkv1', 'usr_am', 'cloud_saas_default'
       FROM generate_series(1, $1) AS i`,
    [CUSTOMERS],
  );
  // 1–7 events per customer, spread over October (local time).
  await db.query(
    `INSERT INTO usage_events (request_id, customer_id, kind, at)
     SELECT 'req_f' || i || '_' || k, 'cus_f' || lpad(i::text, 6, '0'), 'chip_verify',
            timestamptz '2026-10-01 00:00:00+07' + ((i * 7 + k) % 30) * interval '1 day' + k * interval '1 minute'
       FROM generate_series(1, $1) AS i, generate_series(1, 1 + i % 7) AS k`,
    [CUSTOMERS],
  );
}

interface Snapshot {
  invoices: number;
  perCustomer: Map<string, string>;
}

async function snapshot(db: pg.Client): Promise<Snapshot> {
  const { rows } = await db.query<{ customer_id: string; n: number; sums: string }>(
    `SELECT customer_id, count(*)::int AS n, string_agg(subtotal_vnd || '/' || vat_vnd || '/' || total_vnd, ',') AS sums
       FROM invoices WHERE kind = 'invoice' AND period_month = '2026-10-01' GROUP BY customer_id`,
  );
  for (const r of rows) assert.equal(r.n, 1, `one invoice for ${r.customer_id}`);
  return { invoices: rows.length, perCustomer: new Map(rows.map((r) => [r.customer_id, r.sums])) };
}

/** Every invoice has its lines, and its totals are the sum of them: nothing half-written. */
async function assertWhole(db: pg.Client) {
  const { rows } = await db.query<{ id: string; subtotal_vnd: number; lines: number; amount: number }>(
    `SELECT i.id, i.subtotal_vnd::float8 AS subtotal_vnd, count(l.id)::int AS lines,
            coalesce(sum(l.amount_vnd), 0)::float8 AS amount
       FROM invoices i LEFT JOIN invoice_lines l ON l.invoice_id = i.id
      WHERE i.period_month = '2026-10-01' GROUP BY i.id`,
  );
  for (const r of rows) {
    assert.ok(r.lines > 0, `invoice ${r.id} has lines`);
    assert.equal(r.amount, r.subtotal_vnd, `invoice ${r.id} totals its lines`);
  }
  return rows.length;
}

async function run(port: number, headers: Record<string, string>) {
  const res = await fetch(`http://127.0.0.1:${port}/api/billing/runs`, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json' },
    body: JSON.stringify({ month: MONTH }),
  });
  const text = await res.text();
  assert.equal(res.status, 200, text);
  return JSON.parse(text) as { created: number; updated: number; customers: number };
}

test('SIGKILL during the monthly billing run: after a restart and a re-run, invoices equal a clean run', async (t) => {
  if (!(await requirePostgres(t))) return;
  const db = await throwawayDatabase('billkill');
  const key = apiKey();
  let first: Started | undefined;
  let second: Started | undefined;
  try {
    first = await startOn(db.url, key);
    await db.client.connect();
    await seedUsage(db.client);
    const s1 = first;
    const headers = await adminHeaders(s1.port);
    const runRequest = fetch(`http://127.0.0.1:${s1.port}/api/billing/runs`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify({ month: MONTH }),
    }).then(
      (r) => r.status,
      () => 0,
    );
    // Kill as soon as the first invoices are committed, while later ones are still to be written.
    const seen = await waitFor(
      'the first invoices',
      async () => {
        const { rows } = await db.client.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM invoices WHERE period_month = '2026-10-01'`,
        );
        return rows[0]!.n > 0 ? rows[0]!.n : undefined;
      },
      30_000,
      5,
    );
    s1.child.kill('SIGKILL');
    await s1.exit;
    assert.equal(await runRequest, 0, 'the run was cut off before it answered');
    const afterKill = await assertWhole(db.client);
    assert.ok(afterKill < CUSTOMERS, `killed mid-run (${afterKill} of ${CUSTOMERS} invoices written)`);
    t.diagnostic(`invoices seen when killed: ${seen}; committed at the kill: ${afterKill}`);

    second = await startOn(db.url, key);
    const h2 = await adminHeaders(second.port);
    const rerun = await run(second.port, h2);
    assert.equal(rerun.created + rerun.updated, CUSTOMERS);
    assert.equal(await assertWhole(db.client), CUSTOMERS);
    const recovered = await snapshot(db.client);

    // The clean run: the same usage billed from nothing.
    await db.client.query(`DELETE FROM invoices WHERE period_month = '2026-10-01'`);
    const clean = await run(second.port, h2);
    assert.equal(clean.created, CUSTOMERS);
    const reference = await snapshot(db.client);
    assert.equal(recovered.invoices, CUSTOMERS);
    assert.equal(recovered.invoices, reference.invoices);
    assert.deepEqual(recovered.perCustomer, reference.perCustomer);
  } finally {
    first?.child.kill('SIGKILL');
    if (second) {
      second.child.kill('SIGTERM');
      await second.exit;
    }
    await db.drop();
  }
});
