import assert from 'node:assert/strict';
import { test } from 'node:test';
import { adminHeaders, apiKey, privatePostgres, type Started, startOn, waitFor } from './harness.ts';

/**
 * The database stops under a running service (a private PostgreSQL server, so others' tests are not
 * disturbed) and comes back: meanwhile requests answer 503 with a stable code, never a 500 or a
 * crash; afterwards they succeed again without restarting the service.
 */
test('database restart while serving: 503 ERR_DATABASE_UNAVAILABLE, then recovery without a restart', async (t) => {
  const pgServer = await privatePostgres();
  let svc: Started | undefined;
  try {
    await pgServer.start();
    const key = apiKey();
    svc = await startOn(pgServer.url, key);
    const s = svc;
    const admin = await adminHeaders(s.port);
    const probes = [
      { path: '/v1/sessions', headers: { authorization: `Bearer ${key}` } },
      { path: '/api/customers', headers: admin },
      { path: '/v1/me', headers: { authorization: `Bearer ${key}` } },
    ];
    const probe = () =>
      Promise.all(
        probes.map(async (p) => {
          const res = await fetch(`http://127.0.0.1:${s.port}${p.path}`, { headers: p.headers });
          const body = (await res.json()) as { code?: string };
          return { path: p.path, status: res.status, code: body.code, type: res.headers.get('content-type') };
        }),
      );
    for (const r of await probe()) assert.equal(r.status, 200, `${r.path} before the stop`);

    await pgServer.stop();
    const down = [];
    for (let i = 0; i < 5; i++) down.push(...(await probe()));
    for (const r of down) {
      // A route that needs nothing from the database may still answer 200; none may fail otherwise.
      if (r.status === 200) continue;
      assert.equal(r.status, 503, `${r.path}: ${JSON.stringify(r)}`);
      assert.equal(r.code, 'ERR_DATABASE_UNAVAILABLE');
      assert.match(r.type ?? '', /^application\/problem\+json/);
    }
    assert.ok(
      down.some((r) => r.path === '/v1/sessions' && r.status === 503),
      'a database read answered 503 while the database was down',
    );
    assert.equal(s.child.exitCode, null, 'the service is still running');

    await pgServer.start();
    const back = await waitFor(
      'requests to succeed again',
      async () => {
        const rs = await probe();
        return rs.every((r) => r.status === 200) ? rs : undefined;
      },
      20_000,
      250,
    );
    assert.equal(back.length, probes.length);
    assert.equal(s.child.exitCode, null, 'recovered without a restart');
    t.diagnostic(`answers while down: ${down.map((r) => r.status).join(' ')}`);
  } finally {
    if (svc) {
      svc.child.kill('SIGKILL');
      await svc.exit;
    }
    await pgServer.destroy();
  }
});
