import { readFileSync } from 'node:fs';
import path from 'node:path';
import { usageEventIdFor } from '../src/http/billable.ts';
import { SHARED_DATA } from '../src/modules/sessions/test-helpers.ts';
import { adminHeaders, apiKey, startOn, throwawayDatabase, unlimited } from '../test/faults/harness.ts';

/**
 * `npm run bench -- soak [minutes=5] [concurrency=8]`: the real service (spawned as `npm start`
 * does) on a throwaway PostgreSQL database under sustained mixed load: cheap reads, session
 * creation, billable single calls (chip verify) and back-office reads. Every minute a fault is
 * injected: PostgreSQL terminates all the service's connections (as a database restart or a
 * network cut would). A client retries a request answered 503 or cut off, with the same
 * Idempotency-Key, as the API documents. Prints per-endpoint p50/p95/p99, the error rate of
 * valid requests after retries (must be 0), RSS at start and end, and the faults with the data
 * lost (200 answers without exactly one usage event, 201 sessions missing: must be 0).
 */
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? 0;
};

interface Endpoint {
  name: string;
  weight: number;
  expect: number;
  send(port: number, i: number): Promise<Response>;
}

interface Stat {
  times: number[];
  errors: number;
  retried: number;
}

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

export async function run(args: string[]) {
  const minutes = Number(args[0] ?? 5);
  const concurrency = Number(args[1] ?? 8);
  const db = await throwawayDatabase('soak');
  const key = apiKey();
  const svc = await startOn(db.url, key);
  let stopping = false;
  void svc.exit.then((code) => {
    if (stopping) return;
    const log = svc
      .output()
      .split('\n')
      .filter((l) => !l.includes('"msg":"request"'));
    console.error(`The service died (exit ${code}) mid-soak:\n${log.slice(-40).join('\n')}`);
    process.exit(1);
  });
  try {
    await db.client.connect();
    const customerId = await unlimited(db.client);
    const admin = await adminHeaders(svc.port);
    const auth = { authorization: `Bearer ${key}` };
    const chip = (f: string) =>
      readFileSync(path.join(SHARED_DATA, 'emrtd/jmrtd_loes2006_NL_specimen', f)).toString('base64');
    const chipBody = JSON.stringify({
      sod: chip('ef011D.bin'),
      dg1: chip('ef0101.bin'),
      com: chip('ef011E.bin'),
    });
    const url = (port: number, p: string) => `http://127.0.0.1:${port}${p}`;
    const post = (port: number, p: string, body: string, idem: string) =>
      fetch(url(port, p), {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json', 'idempotency-key': idem },
        body,
      });
    const endpoints: Endpoint[] = [
      {
        name: 'GET /v1/me',
        weight: 3,
        expect: 200,
        send: (port) => fetch(url(port, '/v1/me'), { headers: auth }),
      },
      {
        name: 'GET /v1/sessions',
        weight: 3,
        expect: 200,
        send: (port) => fetch(url(port, '/v1/sessions?limit=20'), { headers: auth }),
      },
      {
        name: 'POST /v1/sessions',
        weight: 2,
        expect: 201,
        send: (port, i) =>
          post(
            port,
            '/v1/sessions',
            JSON.stringify({ reference_id: `soak-${i}`, checks: ['document'] }),
            `ses-${i}`,
          ),
      },
      {
        name: 'POST /v1/chip/verify (billable)',
        weight: 2,
        expect: 200,
        send: (port, i) => post(port, '/v1/chip/verify', chipBody, `chip-${i}`),
      },
      {
        name: 'GET /api/customers (back office)',
        weight: 1,
        expect: 200,
        send: (port) => fetch(url(port, '/api/customers'), { headers: admin }),
      },
      {
        name: 'GET /api/billing/usage/current',
        weight: 1,
        expect: 200,
        send: (port) =>
          fetch(url(port, `/api/billing/usage/current?customer_id=${customerId}`), { headers: admin }),
      },
    ];
    const wheel = endpoints.flatMap((e) => Array.from({ length: e.weight }, () => e));
    const stats = new Map<string, Stat>(endpoints.map((e) => [e.name, { times: [], errors: 0, retried: 0 }]));
    const billable: number[] = [];
    const sessions: number[] = [];
    const unexpected: string[] = [];

    /**
     * One request, retried with the same Idempotency-Key as the API documents: after a 503 or a cut
     * connection with a short backoff, after a 409 "still in progress" when `Retry-After` says. A key
     * whose first attempt died is taken over after `EKYC_IDEMPOTENCY_STALE_MS` (2 min), so the
     * budget is 150 s.
     */
    async function one(e: Endpoint, i: number) {
      const st = stats.get(e.name)!;
      const t0 = performance.now();
      for (let attempt = 0; ; attempt++) {
        let status = 0;
        let text = '';
        let retryAfter = 0;
        try {
          const res = await e.send(svc.port, i);
          status = res.status;
          retryAfter = Number(res.headers.get('retry-after') ?? 0);
          text = await res.text();
        } catch (err) {
          text = String((err as { cause?: unknown }).cause ?? err);
        }
        if (status === e.expect) {
          st.times.push(performance.now() - t0);
          if (e.name.includes('billable')) billable.push(i);
          if (e.name === 'POST /v1/sessions') sessions.push(i);
          return;
        }
        const inProgress = status === 409 && text.includes('ERR_IDEMPOTENCY_IN_PROGRESS');
        if ((status === 503 || status === 0 || inProgress) && performance.now() - t0 < 150_000) {
          st.retried++;
          const wait = inProgress ? Math.max(1, retryAfter) * 1000 : 100 * Math.min(attempt + 1, 10);
          await new Promise((r) => setTimeout(r, wait));
          continue;
        }
        st.errors++;
        if (unexpected.length < 10) unexpected.push(`${e.name}: ${status} ${text.slice(0, 200)}`);
        return;
      }
    }

    // Warm up (models, caches, pools) before the first RSS reading.
    let next = 0;
    const until = (end: number) =>
      Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (performance.now() < end) {
            const i = next++;
            await one(wheel[i % wheel.length]!, i);
          }
        }),
      );
    await until(performance.now() + 15_000);
    for (const s of stats.values()) Object.assign(s, { times: [], errors: 0, retried: 0 });
    const rssStart = rssMb(svc.child.pid!);

    const faults: Array<{ at: number; killed: number }> = [];
    const started = performance.now();
    const end = started + minutes * 60_000;
    const injector = setInterval(
      async () => {
        const { rows } = await db.client.query<{ n: number }>(
          `SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity
          WHERE datname = current_database() AND pid <> pg_backend_pid()`,
        );
        faults.push({ at: Math.round((performance.now() - started) / 1000), killed: rows[0]!.n });
      },
      Math.min(60_000, (minutes * 60_000) / 3),
    );
    const rssSamples: number[] = [];
    const sampler = setInterval(() => rssSamples.push(rssMb(svc.child.pid!)), 10_000);
    await until(end);
    clearInterval(injector);
    clearInterval(sampler);
    const rssEnd = rssMb(svc.child.pid!);
    const secs = (performance.now() - started) / 1000;

    // Data lost: a 200 without exactly one usage event, a 201 session not in the table.
    await new Promise((r) => setTimeout(r, 1000));
    const { rows: events } = await db.client.query<{ request_id: string; n: number }>(
      `SELECT request_id, count(*)::int AS n FROM usage_events WHERE customer_id = $1 AND kind = 'chip_verify'
        GROUP BY request_id`,
      [customerId],
    );
    const metered = new Map(events.map((r) => [r.request_id, r.n]));
    const unmetered = billable.filter(
      (i) => metered.get(usageEventIdFor(customerId, `chip-${i}`)) !== 1,
    ).length;
    const { rows: refs } = await db.client.query<{ reference_id: string }>(
      `SELECT reference_id FROM verification_sessions WHERE customer_id = $1 AND reference_id LIKE 'soak-%'`,
      [customerId],
    );
    const stored = new Set(refs.map((r) => r.reference_id));
    const missingSessions = sessions.filter((i) => !stored.has(`soak-${i}`)).length;

    console.log(
      `Soak: ${minutes} min, ${concurrency} concurrent clients, real service on PostgreSQL (pid ${svc.child.pid})\n`,
    );
    console.table(
      endpoints.map((e) => {
        const s = stats.get(e.name)!;
        const n = s.times.length + s.errors;
        return {
          endpoint: e.name,
          requests: n,
          'req/s': +(n / secs).toFixed(1),
          'p50 ms': Math.round(pct(s.times, 50)),
          'p95 ms': Math.round(pct(s.times, 95)),
          'p99 ms': Math.round(pct(s.times, 99)),
          retried: s.retried,
          errors: s.errors,
          'error rate %': n ? +((100 * s.errors) / n).toFixed(3) : 0,
        };
      }),
    );
    const total = [...stats.values()].reduce((a, s) => a + s.times.length + s.errors, 0);
    const errors = [...stats.values()].reduce((a, s) => a + s.errors, 0);
    console.log(
      `Valid requests: ${total}, errors after retries: ${errors} (${((100 * errors) / total).toFixed(3)} %)`,
    );
    if (unexpected.length) console.log(`First errors:\n  ${unexpected.join('\n  ')}`);
    const pctChange = (a: number, b: number) => `${b >= a ? '+' : ''}${((100 * (b - a)) / a).toFixed(1)} %`;
    // RSS saw-tooths with garbage collection: the peaks of each half tell a leak from a sample taken mid-cycle.
    const half = Math.floor(rssSamples.length / 2);
    const peak1 = Math.max(...rssSamples.slice(0, half));
    const peak2 = Math.max(...rssSamples.slice(half));
    console.log(
      `RSS: start ${rssStart.toFixed(0)} MB, end ${rssEnd.toFixed(0)} MB (${pctChange(rssStart, rssEnd)}); ` +
        `peak first half ${peak1.toFixed(0)} MB, second half ${peak2.toFixed(0)} MB (${pctChange(peak1, peak2)})\n` +
        `  every 10 s: ${rssSamples.map((r) => r.toFixed(0)).join(' ')}\n`,
    );
    console.table([
      {
        fault: 'PostgreSQL terminates every service connection',
        injected: faults.length,
        'at (s)': faults.map((f) => f.at).join(' '),
        'connections cut': faults.reduce((a, f) => a + f.killed, 0),
        'requests retried (503/cut/409)': [...stats.values()].reduce((a, s) => a + s.retried, 0),
        'billable 200s (incl. warm-up)': billable.length,
        'unmetered or double-metered': unmetered,
        'sessions 201 (incl. warm-up)': sessions.length,
        'sessions lost': missingSessions,
      },
    ]);
  } finally {
    stopping = true;
    svc.child.kill('SIGTERM');
    await svc.exit;
    await db.drop();
  }
}
