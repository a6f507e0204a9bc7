import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openPostgres } from '../src/db/client.ts';
import { migrate } from '../src/db/migrate.ts';
import { fixedClock } from '../src/lib/clock.ts';
import { systemActor } from '../src/modules/audit/audit.ts';
import { createBillingService } from '../src/modules/billing/billing.service.ts';
import { recordUsage, recordUsageBatch, type UsageEvent } from '../src/modules/metering/metering.ts';
import { TEST_POSTGRES_URL } from '../test/db.ts';

/**
 * `npm run bench -- billing [--customers 10000] [--events 1000000] [--ingest 200000]` on PostgreSQL
 * (TEST_DATABASE_URL): the monthly run over N customers and M usage events, and ingestion rates
 * (batched and one-by-one with concurrent callers) with a check that nothing is lost or counted twice.
 */
function arg(args: string[], name: string, fallback: number): number {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? Number(args[i + 1]) : fallback;
}

export async function run(args: string[]): Promise<void> {
  const customers = arg(args, 'customers', 10_000);
  const events = arg(args, 'events', 1_000_000);
  const ingest = arg(args, 'ingest', 200_000);
  const name = `ekyc_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: TEST_POSTGRES_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(TEST_POSTGRES_URL);
  url.pathname = `/${name}`;
  const db = await openPostgres(url.toString(), 8);
  const rows: Array<[string, string, string]> = [];
  const time = async <T>(fn: () => Promise<T>) => {
    const t0 = performance.now();
    const value = await fn();
    return { value, s: (performance.now() - t0) / 1000 };
  };
  try {
    await migrate(db);
    await db.exec(`INSERT INTO units (id, kind, code, name) VALUES ('unt_b', 'ctkv', 'B', 'Bench unit');
      INSERT INTO users (id, email, full_name, password_hash, role) VALUES ('usr_b', 'b@b.local', 'AM', 'x', 'am');`);
    await db.query(
      `INSERT INTO customers (id, legal_name, tax_code, segment, managing_unit_id, am_user_id)
       SELECT 'cus_b' || g, 'Bench ' || g, lpad(g::text, 10, '0'), 'bank', 'unt_b', 'usr_b' FROM generate_series(1, $1) g`,
      [customers],
    );
    await db.query(
      `INSERT INTO contracts (id, customer_id, edition, status, start_date, end_date, term_months, signing_unit_id, am_user_id, price_plan_code)
       SELECT 'ctr_b' || g, 'cus_b' || g, 'cloud_saas', 'active',
              CASE WHEN g % 10 = 0 THEN DATE '2026-10-16' ELSE DATE '2026-01-01' END, DATE '2026-12-31', 12, 'unt_b', 'usr_b', 'cloud_saas_default'
         FROM generate_series(1, $1) g`,
      [customers],
    );
    const gen = await time(() =>
      db.query(
        `INSERT INTO usage_events (request_id, customer_id, api_key_id, kind, at)
         SELECT 'r' || g, 'cus_b' || (1 + (g::bigint * 7919) % $2), NULL, 'verification',
                TIMESTAMPTZ '2026-09-30 17:00:00+00' + ((g::bigint * 2654435761) % 2678400) * INTERVAL '1 second'
           FROM generate_series(1, $1) g`,
        [events, customers],
      ),
    );
    await db.exec('ANALYZE usage_events');
    rows.push([
      'generate events (SQL, not timed as ingestion)',
      `${events.toLocaleString('en')} events`,
      `${gen.s.toFixed(1)} s`,
    ]);

    const clock = fixedClock('2026-11-01T00:05:00+07:00');
    const billing = createBillingService({
      db,
      clock,
      options: { vatRateBp: 1000, reviewDays: 5, timezone: 'Asia/Ho_Chi_Minh' },
    });
    const first = await time(() => billing.runMonth('2026-10', systemActor));
    rows.push([
      'monthly run (first)',
      `${customers.toLocaleString('en')} customers, ${first.value.billedEvents.toLocaleString('en')} billed events, ${first.value.created} drafts`,
      `${first.s.toFixed(1)} s`,
    ]);
    const again = await time(() => billing.runMonth('2026-10', systemActor));
    rows.push([
      'monthly run (re-run, drafts recomputed)',
      `${again.value.created} new, ${again.value.updated} updated`,
      `${again.s.toFixed(1)} s`,
    ]);

    const mk = (prefix: string, n: number): UsageEvent[] =>
      Array.from({ length: n }, (_, i) => ({
        customerId: `cus_b${1 + (i % customers)}`,
        apiKeyId: null,
        requestId: `${prefix}-${i}`,
        kind: 'verification',
        at: new Date(Date.parse('2026-11-02T03:00:00Z') + i),
      }));
    const batch = mk('ing', ingest);
    const ing = await time(async () => {
      let recorded = 0;
      for (let i = 0; i < batch.length; i += 1000)
        recorded += (await recordUsageBatch(db, batch.slice(i, i + 1000))).recorded;
      return recorded;
    });
    // Replay half of them (a retrying producer): none may count again.
    const replay = await recordUsageBatch(db, batch.slice(0, ingest / 2));
    rows.push([
      'ingestion, batches of 1,000',
      `${ing.value.toLocaleString('en')} recorded, replay of ${(ingest / 2).toLocaleString('en')} → ${replay.recorded} new`,
      `${Math.round(ingest / ing.s).toLocaleString('en')} events/s`,
    ]);
    const singles = mk('one', Math.min(20_000, ingest));
    const one = await time(async () => {
      let next = 0;
      let recorded = 0;
      await Promise.all(
        Array.from({ length: 8 }, async () => {
          while (next < singles.length) {
            const e = singles[next++]!;
            if ((await recordUsage(db, e)).recorded) recorded++;
          }
        }),
      );
      return recorded;
    });
    rows.push([
      'ingestion, one request each (8 concurrent callers)',
      `${one.value.toLocaleString('en')} recorded of ${singles.length.toLocaleString('en')}`,
      `${Math.round(singles.length / one.s).toLocaleString('en')} events/s`,
    ]);
    const [count] = await db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM usage_events WHERE request_id LIKE 'ing-%' OR request_id LIKE 'one-%'",
    );
    rows.push([
      'stored ingested events (expected ' + (ingest + singles.length).toLocaleString('en') + ')',
      String(count?.n),
      '',
    ]);
  } finally {
    await db.close();
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
  console.log('| step | size | time / rate |\n|---|---|---|');
  for (const r of rows) console.log(`| ${r.join(' | ')} |`);
}
