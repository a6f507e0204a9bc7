import { readFileSync } from 'node:fs';
import path from 'node:path';
import { publicApiOf } from '../src/modules/sessions/sessions.routes.ts';
import { multipartFile, SHARED_DATA } from '../src/modules/sessions/test-helpers.ts';
import { createTestApp } from '../test/app.ts';

/**
 * `npm run bench -- api [requests] [concurrency]`: the public API over real HTTP on loopback
 * (PGlite, in-process): a cheap authenticated read (GET /v1/sessions/{id}, not billable), a
 * billable single call (POST /v1/chip/verify, NL specimen chip) and full face sessions (front +
 * selfie + submit + processing), plus 50 concurrent sessions. Prints req/s and p50/p95/p99.
 */
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? 0;
};

async function load(n: number, conc: number, one: (i: number) => Promise<boolean>) {
  const times: number[] = [];
  let errors = 0;
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: conc }, async () => {
      while (next < n) {
        const i = next++;
        const s = performance.now();
        if (!(await one(i).catch(() => false))) errors++;
        times.push(performance.now() - s);
      }
    }),
  );
  const secs = (performance.now() - t0) / 1000;
  return { n, conc, rps: n / secs, p50: pct(times, 50), p95: pct(times, 95), p99: pct(times, 99), errors };
}

export async function run(args: string[]) {
  const n = Number(args[0] ?? 400);
  const conc = Number(args[1] ?? 16);
  const t = await createTestApp({ env: { EKYC_RATE_LIMIT_RPS: '100000' } });
  await t.db.query(
    'INSERT INTO customer_rate_limits (customer_id, requests_per_second, burst) VALUES ($1, 1e6, 1000000)',
    [t.seed.demoCustomerId],
  );
  // The clock of the test app is fixed: use the real one for a bench.
  t.clock.set(new Date());
  const base = await t.app.listen({ host: '127.0.0.1', port: 0 });
  const auth = { authorization: `Bearer ${t.seed.demoApiKey}` };
  const json = { ...auth, 'content-type': 'application/json' };
  const face = (rel: string) => readFileSync(path.join(SHARED_DATA, 'faces', rel));
  const chip = (f: string) =>
    readFileSync(path.join(SHARED_DATA, 'emrtd/jmrtd_loes2006_NL_specimen', f)).toString('base64');
  const front = face('faceapi_bbt/amy/amy1.png');
  const selfie = face('faceapi_bbt/amy/amy2.png');

  const newSession = async () => {
    const r = await fetch(`${base}/v1/sessions`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ reference_id: 'bench', checks: ['face'] }),
    });
    return ((await r.json()) as { id: string }).id;
  };
  const put = async (id: string, slot: string, file: Buffer) => {
    const m = multipartFile(file);
    const r = await fetch(`${base}/v1/sessions/${id}/${slot}`, {
      method: 'PUT',
      headers: { ...auth, 'content-type': m.contentType },
      body: m.payload,
    });
    await r.arrayBuffer();
    return r.ok;
  };
  const fullSession = async () => {
    const id = await newSession();
    if (!(await put(id, 'documents/front', front)) || !(await put(id, 'selfie', selfie))) return false;
    const s = await fetch(`${base}/v1/sessions/${id}/submit`, { method: 'POST', headers: auth });
    await s.arrayBuffer();
    await publicApiOf(t.ctx).sessions.process(id);
    const g = await fetch(`${base}/v1/sessions/${id}`, { headers: auth });
    const st = ((await g.json()) as { status: string }).status;
    return st === 'approved';
  };

  // Warm up: face models, JIT.
  await fullSession();
  const readId = await newSession();
  const chipBody = JSON.stringify({
    sod: chip('ef011D.bin'),
    dg1: chip('ef0101.bin'),
    com: chip('ef011E.bin'),
  });
  const rows: Array<Record<string, string | number>> = [];
  const add = (name: string, r: Awaited<ReturnType<typeof load>>) =>
    rows.push({
      scenario: name,
      requests: r.n,
      concurrency: r.conc,
      'req/s': r.rps.toFixed(1),
      'p50 ms': r.p50.toFixed(1),
      'p95 ms': r.p95.toFixed(1),
      'p99 ms': r.p99.toFixed(1),
      errors: r.errors,
    });

  add(
    'GET /v1/sessions/{id} (read, not billable)',
    await load(n, conc, async () => {
      const r = await fetch(`${base}/v1/sessions/${readId}`, { headers: auth });
      await r.arrayBuffer();
      return r.ok;
    }),
  );
  add(
    'POST /v1/chip/verify (billable single call)',
    await load(Math.max(50, n / 4), conc, async () => {
      const r = await fetch(`${base}/v1/chip/verify`, { method: 'POST', headers: json, body: chipBody });
      await r.arrayBuffer();
      return r.ok;
    }),
  );
  add('full face session (front + selfie + submit + decide)', await load(20, 4, fullSession));
  add('50 concurrent full face sessions', await load(50, 50, fullSession));
  console.table(rows);
  const [u] = await t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM usage_events');
  console.log(
    `usage events written: ${u?.n}; RSS ${Math.round(process.memoryUsage().rss / 2 ** 20)} MiB; 2 cores, PGlite`,
  );
  await t.close();
}
