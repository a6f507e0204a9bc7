import { readFileSync } from 'node:fs';
import path from 'node:path';
import { loadFaceModels } from '../src/ekyc/face/models.ts';
import type { Action } from '../src/ekyc/liveness/engine.ts';
import { publicApiOf } from '../src/modules/sessions/sessions.routes.ts';
import { multipartFile, SHARED_DATA } from '../src/modules/sessions/test-helpers.ts';
import { createTestApp } from '../test/app.ts';
import { photograph, randomPerson, renderCard } from '../test/fixtures/cards/render.ts';
import { makeHead, renderHead, script, toJpeg } from '../test/fixtures/faces/render.ts';

/**
 * `npm run bench -- api [requests] [concurrency]`: the public API over real HTTP on loopback
 * (PGlite, in-process): a cheap authenticated read (GET /v1/sessions/{id}, not billable), a
 * billable single call (POST /v1/chip/verify, NL specimen chip) and full face sessions (front +
 * selfie + submit + processing), plus 50 concurrent sessions, and complete sessions (synthetic
 * chip CCCD front + back, selfie, liveness challenge + 3-D head frames, submit, processing).
 * Prints req/s and p50/p95/p99.
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

  // Complete sessions: document front+back + selfie + liveness. The head's poses are rendered once;
  // every session gets freshly noised JPEGs (the engine refuses frames it has already seen).
  const person = randomPerson(199, 'cccd_chip');
  const cardFront = (await photograph(await renderCard(person, 'cccd_chip', 'front'), 'moderate', 1)).image;
  const cardBack = (await photograph(await renderCard(person, 'cccd_chip', 'back'), 'moderate', 2)).image;
  const holderSelfie = face('face_recognition_examples/knn_examples/train/obama/obama2.jpg');
  const head = await makeHead(
    await loadFaceModels(),
    face('face_recognition_examples/knn_examples/train/obama/obama.jpg'),
  );
  const actions: Action[] = ['turn_left', 'look_up'];
  const poses = script(actions).map(({ t, pose }) => ({ t, rgb: renderHead(head, pose) }));
  const completeSession = async () => {
    const r = await fetch(`${base}/v1/sessions`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ reference_id: 'bench-full', checks: ['document', 'face', 'liveness'] }),
    });
    const id = ((await r.json()) as { id: string }).id;
    for (const [slot, file] of [
      ['documents/front', cardFront],
      ['documents/back', cardBack],
      ['selfie', holderSelfie],
    ] as const) {
      if (!(await put(id, slot, file))) return false;
    }
    const c = await fetch(`${base}/v1/sessions/${id}/liveness`, { method: 'POST', headers: auth });
    const challengeId = ((await c.json()) as { id: string }).id;
    // The challenge's actions are drawn at random; pin them to the rendered ones.
    await t.db.query('UPDATE liveness_challenges SET actions = $2::jsonb WHERE id = $1', [
      challengeId,
      JSON.stringify(actions),
    ]);
    const form = new FormData();
    form.append('challenge_id', challengeId);
    for (const p of poses) {
      const jpeg = await toJpeg(Uint8Array.from(p.rgb), head.img.width, head.img.height);
      form.append('frames', new Blob([new Uint8Array(jpeg)], { type: 'image/jpeg' }), 'f.jpg');
    }
    form.append('timestamps', JSON.stringify(poses.map((p) => 1_700_000_000_000 + p.t)));
    const v = await fetch(`${base}/v1/sessions/${id}/liveness`, {
      method: 'POST',
      headers: auth,
      body: form,
    });
    await v.arrayBuffer();
    if (!v.ok) return false;
    const s = await fetch(`${base}/v1/sessions/${id}/submit`, { method: 'POST', headers: auth });
    await s.arrayBuffer();
    await publicApiOf(t.ctx).sessions.process(id);
    const g = await fetch(`${base}/v1/sessions/${id}`, { headers: auth });
    return ((await g.json()) as { status: string }).status === 'approved';
  };
  await completeSession();
  add('complete session (front + back + selfie + liveness + decide)', await load(6, 2, completeSession));
  add('50 concurrent full face sessions', await load(50, 50, fullSession));
  console.table(rows);
  const [u] = await t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM usage_events');
  console.log(
    `usage events written: ${u?.n}; RSS ${Math.round(process.memoryUsage().rss / 2 ** 20)} MiB; 2 cores, PGlite`,
  );
  await t.close();
}
