import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { type AddressInfo, createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestContext } from 'node:test';
import { promisify } from 'node:util';
import pg from 'pg';
import { TEST_POSTGRES_URL } from '../db.ts';
import { type Started, startService } from '../service.ts';

/** Shared by the fault tests: the real service on a throwaway PostgreSQL database. */

export const ADMIN = { email: 'admin@ekyc.local', password: 'Fault-test-2026' };

export async function postgresUp(url = TEST_POSTGRES_URL): Promise<boolean> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await c.connect();
    await c.end();
    return true;
  } catch {
    return false;
  }
}

/** Skips locally without PostgreSQL; fails under CI. */
export async function requirePostgres(t: TestContext): Promise<boolean> {
  if (await postgresUp()) return true;
  if (process.env.CI) assert.fail(`PostgreSQL is not reachable at ${TEST_POSTGRES_URL}`);
  t.skip('PostgreSQL not reachable');
  return false;
}

export interface FaultDb {
  url: string;
  client: pg.Client;
  drop(): Promise<void>;
}

/** A throwaway database on the test server, with a client the test reads it through. */
export async function throwawayDatabase(prefix: string): Promise<FaultDb> {
  const name = `ekyc_${prefix}_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: TEST_POSTGRES_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(TEST_POSTGRES_URL);
  url.pathname = `/${name}`;
  const client = new pg.Client({ connectionString: url.toString() });
  return {
    url: url.toString(),
    client,
    async drop() {
      await client.end().catch(() => {});
      const a = new pg.Client({ connectionString: TEST_POSTGRES_URL });
      await a.connect();
      await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await a.end();
    },
  };
}

export const apiKey = () => `mfk_fault_${randomBytes(16).toString('hex')}`;

export function startOn(
  databaseUrl: string,
  key: string,
  env: Record<string, string> = {},
): Promise<Started> {
  return startService({
    DATABASE_URL: databaseUrl,
    EKYC_DEMO_API_KEY: key,
    EKYC_ADMIN_PASSWORD: ADMIN.password,
    EKYC_MASTER_KEY: 'a'.repeat(64),
    ...env,
  });
}

/** Lifts the demo customer's rate limit so load tests measure the service, not the limiter. */
export async function unlimited(client: pg.Client): Promise<string> {
  const { rows } = await client.query<{ id: string }>(
    'SELECT customer_id AS id FROM api_keys ORDER BY created_at LIMIT 1',
  );
  const customerId = rows[0]!.id;
  await client.query(
    `INSERT INTO customer_rate_limits (customer_id, requests_per_second, burst) VALUES ($1, 100000, 100000)
     ON CONFLICT (customer_id) DO UPDATE SET requests_per_second = 100000, burst = 100000`,
    [customerId],
  );
  return customerId;
}

/** Logs the admin in; returns the headers a back-office write needs (cookie and CSRF token). */
export async function adminHeaders(port: number): Promise<Record<string, string>> {
  const res = await fetch(`http://127.0.0.1:${port}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(ADMIN),
  });
  assert.equal(res.status, 200, await res.text());
  const cookies = res.headers.getSetCookie().map((c) => c.split(';')[0]!);
  const csrf = cookies.find((c) => c.startsWith('ekyc_csrf='))?.slice('ekyc_csrf='.length);
  assert.ok(csrf);
  return { cookie: cookies.join('; '), 'x-csrf-token': csrf };
}

export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | false>,
  timeoutMs: number,
  everyMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export type { Started };

const run = promisify(execFile);

export interface PrivatePostgres {
  url: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  destroy(): Promise<void>;
}

/**
 * A PostgreSQL server of our own (initdb into a temporary directory), so a test can stop and start
 * the database under a running service without touching the machine's server others use.
 */
export async function privatePostgres(): Promise<PrivatePostgres> {
  const [version] = (await readdir('/usr/lib/postgresql')).sort().reverse();
  assert.ok(version, 'PostgreSQL binaries under /usr/lib/postgresql');
  const bin = (name: string) => `/usr/lib/postgresql/${version}/bin/${name}`;
  const dir = await mkdtemp(path.join(tmpdir(), 'ekyc-pg-'));
  // initdb and postgres refuse to run as root: run them as the postgres user then.
  const asOwner = (cmd: string, args: string[]) =>
    process.getuid?.() === 0 ? run('runuser', ['-u', 'postgres', '--', cmd, ...args]) : run(cmd, args);
  if (process.getuid?.() === 0) await run('chown', ['postgres', dir]);
  const data = path.join(dir, 'data');
  await asOwner(bin('initdb'), ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']);
  const port = await freePort();
  const opts = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=50`;
  const ctl = (...args: string[]) => asOwner(bin('pg_ctl'), ['-D', data, '-w', '-t', '30', ...args]);
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    start: async () => void (await ctl('-o', opts, '-l', path.join(dir, 'log'), 'start')),
    stop: async () => void (await ctl('-m', 'fast', 'stop')),
    async destroy() {
      await ctl('-m', 'immediate', 'stop').catch(() => {});
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createNetServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}
