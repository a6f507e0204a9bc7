import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { type Database, openPostgres } from '../src/db/client.ts';
import { migrate } from '../src/db/migrate.ts';
import { fixedClock } from '../src/lib/clock.ts';
import { systemActor } from '../src/modules/audit/audit.ts';
import { createBillingService } from '../src/modules/billing/billing.service.ts';
import {
  createUsageRecorder,
  recordUsage,
  recordUsageBatch,
  type UsageEvent,
} from '../src/modules/metering/metering.ts';
import { TEST_POSTGRES_URL } from '../test/db.ts';

/**
 * `npm run bench -- billing [--customers 10000] [--events 1000000] [--ingest 200000] [--singles 100000]
 * [--callers 256]` on PostgreSQL (TEST_DATABASE_URL), in a throwaway database dropped at the end:
 * the monthly run over N customers and M usage events (`--events 10000000` for the size), then
 * ingestion side by side — batches of 1,000, one event per call straight to the database, and one
 * event per call through the group-commit recorder — each checked for lost or double-counted events.
 */
function arg(args: string[], name: string, fallback: number): number {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? Number(args[i + 1]) : fallback;
}

const time = async <T>(fn: () => Promise<T>) => {
  const t0 = performance.now();
  const value = await fn();
  return { value, s: (performance.now() - t0) / 1000 };
};

const fmt = (n: number) => Math.round(n).toLocaleString('en');

/**
 * M events spread over October 2026 (local) by SQL. The usage_events indexes are dropped for the load
 * and rebuilt from their own definitions (minutes faster than maintaining them row by row); VACUUM
 * sets the visibility map as autovacuum would have long before a month is billed.
 */
async function generateEvents(db: Database, events: number, customers: number): Promise<void> {
  const indexes = await db.query<{ indexname: string; indexdef: string }>(
    "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'usage_events' AND indexname <> 'usage_events_pkey'",
  );
  for (const i of indexes) await db.exec(`DROP INDEX ${i.indexname}`);
  await db.query(
    `INSERT INTO usage_events (request_id, customer_id, api_key_id, kind, at)
     SELECT 'r' || g, 'cus_b' || (1 + (g::bigint * 7919) % $2), NULL, 'verification',
            TIMESTAMPTZ '2026-09-30 17:00:00+00' + ((g::bigint * 2654435761) % 2678400) * INTERVAL '1 second'
       FROM generate_series(1, $1) g`,
    [events, customers],
  );
  for (const i of indexes) await db.exec(i.indexdef);
  await db.exec('VACUUM ANALYZE usage_events');
}

/** `callers` concurrent callers, each sending its next event once the previous one is answered. */
async function oneByOne(
  events: readonly UsageEvent[],
  callers: number,
  send: (e: UsageEvent) => Promise<{ recorded: boolean }>,
): Promise<number> {
  let next = 0;
  let recorded = 0;
  await Promise.all(
    Array.from({ length: callers }, async () => {
      while (next < events.length) {
        const e = events[next++]!;
        if ((await send(e)).recorded) recorded++;
      }
    }),
  );
  return recorded;
}

export async function run(args: string[]): Promise<void> {
  const customers = arg(args, 'customers', 10_000);
  const events = arg(args, 'events', 1_000_000);
  const ingest = arg(args, 'ingest', 200_000);
  const singles = arg(args, 'singles', 100_000);
  const callers = arg(args, 'callers', 256);
  const name = `ekyc_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: TEST_POSTGRES_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(TEST_POSTGRES_URL);
  url.pathname = `/${name}`;
  const db = await openPostgres(url.toString(), 8);
  const rows: Array<[string, string, string]> = [];
  const summary: Record<string, string> = {};
  try {
    await migrate(db);
    await db.exec(`INSERT INTO units (id, kind, code, name) VALUES ('unt_b', 'ctkv', 'B', 'Bench unit');
      INSERT INTO users (id, email, full_name, password_hash, role) VALUES ('usr_b', 'b@b.local', 'AM', 'x', 'am');`);
    await db.query(
      `INSERT INTO customers (id, legal_name, tax_code, segment, managing_unit_id, am_user_id)
       SELECT 'cus_b' || g, 'Bench ' || g, lpad(g::text, 10, '0'), 'bank', 'unt_b', 'usr_b' FROM generate_series(1, $1) g`,
      [customers],
    );
    // One customer in ten starts mid-month: its early events are not billed.
    await db.query(
      `INSERT INTO contracts (id, customer_id, edition, status, start_date, end_date, term_months, signing_unit_id, am_user_id, price_plan_code)
       SELECT 'ctr_b' || g, 'cus_b' || g, 'cloud_saas', 'active',
              CASE WHEN g % 10 = 0 THEN DATE '2026-10-16' ELSE DATE '2026-01-01' END, DATE '2026-12-31', 12, 'unt_b', 'usr_b', 'cloud_saas_default'
         FROM generate_series(1, $1) g`,
      [customers],
    );
    const gen = await time(() => generateEvents(db, events, customers));
    const [size] = await db.query<{ size: string }>(
      'SELECT pg_size_pretty(pg_database_size(current_database())) AS size',
    );
    rows.push([
      'generate events in SQL, rebuild indexes, VACUUM (setup)',
      `${fmt(events)} events, database ${size?.size}`,
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
      `${fmt(customers)} customers, ${fmt(first.value.billedEvents)} billed + ${fmt(first.value.unbilledEvents)} unbilled events, ${first.value.created} drafts`,
      `${first.s.toFixed(1)} s`,
    ]);
    const again = await time(() => billing.runMonth('2026-10', systemActor));
    rows.push([
      'monthly run (re-run, drafts recomputed)',
      `${again.value.created} new, ${again.value.updated} updated, billed ${fmt(again.value.billedEvents)}`,
      `${again.s.toFixed(1)} s`,
    ]);
    summary.run = first.s.toFixed(1);
    summary.rerun = again.s.toFixed(1);

    const mk = (prefix: string, n: number): UsageEvent[] =>
      Array.from({ length: n }, (_, i) => ({
        customerId: `cus_b${1 + (i % customers)}`,
        apiKeyId: null,
        requestId: `${prefix}-${i}`,
        kind: 'verification',
        at: new Date(Date.parse('2026-11-02T03:00:00Z') + i),
      }));
    const stored = async (prefix: string) =>
      (
        await db.query<{ n: number }>(
          'SELECT count(*)::int AS n FROM usage_events WHERE request_id LIKE $1',
          [`${prefix}-%`],
        )
      )[0]?.n;

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
      `${fmt(ing.value)} recorded, replay of ${fmt(ingest / 2)} → ${replay.recorded} new, stored ${fmt((await stored('ing')) ?? 0)}`,
      `${fmt(ingest / ing.s)} events/s`,
    ]);
    summary.batch = fmt(ingest / ing.s);

    // One event per call, every 10th sent twice (a retry racing its original): exactly `n` rows and
    // `n` callers told "recorded", whichever path.
    const withRetries = (prefix: string, n: number) => {
      const list = mk(prefix, n);
      return list.flatMap((e, i) => (i % 10 === 0 ? [e, { ...e }] : [e]));
    };
    const directN = Math.min(20_000, singles);
    const direct = withRetries('one', directN);
    const d = await time(() => oneByOne(direct, callers, (e) => recordUsage(db, e)));
    rows.push([
      `ingestion, one event per call straight to the database (${callers} callers)`,
      `${fmt(d.value)} recorded of ${fmt(directN)} (+${fmt(direct.length - directN)} retries), stored ${fmt((await stored('one')) ?? 0)}`,
      `${fmt(direct.length / d.s)} events/s`,
    ]);
    const recorder = createUsageRecorder(db);
    const grouped = withRetries('grp', singles);
    const g = await time(() => oneByOne(grouped, callers, (e) => recorder.record(e)));
    rows.push([
      `ingestion, one event per call, group commit (${callers} callers)`,
      `${fmt(g.value)} recorded of ${fmt(singles)} (+${fmt(grouped.length - singles)} retries), stored ${fmt((await stored('grp')) ?? 0)}`,
      `${fmt(grouped.length / g.s)} events/s`,
    ]);
    summary.single = fmt(grouped.length / g.s);
    summary.direct = fmt(direct.length / d.s);
  } finally {
    await db.close();
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
  console.log('| step | size | time / rate |\n|---|---|---|');
  for (const r of rows) console.log(`| ${r.join(' | ')} |`);
  console.log(
    '\n| customers | events | run s | re-run s | single events/s (group commit) | single events/s (direct) | batch events/s |\n|---|---|---|---|---|---|---|',
  );
  console.log(
    `| ${fmt(customers)} | ${fmt(events)} | ${summary.run} | ${summary.rerun} | ${summary.single} | ${summary.direct} | ${summary.batch} |`,
  );
}
