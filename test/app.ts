import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { buildApp } from '../src/app.ts';
import { type Config, loadConfig } from '../src/config.ts';
import type { Database } from '../src/db/client.ts';
import { type SeedReport, seed } from '../src/db/seed.ts';
import type { AppContext } from '../src/http/context.ts';
import { type Clock, fixedClock } from '../src/lib/clock.ts';
import { type Engine, freshDatabase } from './db.ts';

export const DEMO_PASSWORD = 'Demo@2026';

export interface TestApp {
  app: FastifyInstance;
  ctx: AppContext;
  db: Database;
  clock: ReturnType<typeof fixedClock>;
  seed: SeedReport;
  /** Logs in and returns a client that sends the session cookie and CSRF token. */
  login(email: string, password?: string): Promise<Client>;
  close(): Promise<void>;
}

export interface Client {
  request(opts: InjectOptions): Promise<LightMyRequestResponse>;
  csrf: string;
  cookie: string;
}

export function testConfig(overrides: Record<string, string> = {}): Config {
  return loadConfig({ NODE_ENV: 'test', EKYC_DEMO_DATA: 'true', ...overrides });
}

/** A seeded app on a fresh database, with a fixed clock that tests move by hand. */
export async function createTestApp(
  opts: { engine?: Engine; env?: Record<string, string>; now?: string; clock?: Clock } = {},
): Promise<TestApp> {
  const db = await freshDatabase(opts.engine ?? 'pglite');
  const clock = fixedClock(opts.now ?? '2026-11-24T03:00:00Z');
  const config = testConfig(opts.env);
  const report = await seed(db, config, clock);
  const { app, ctx } = await buildApp({ config, db, clock });
  await app.ready();
  return {
    app,
    ctx,
    db,
    clock,
    seed: report,
    async login(email, password = DEMO_PASSWORD) {
      const res = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { email, password } });
      if (res.statusCode !== 200) throw new Error(`login ${email} failed: ${res.statusCode} ${res.body}`);
      const cookie = res.cookies.map((c) => `${c.name}=${c.value}`).join('; ');
      const csrf = res.json().csrf_token as string;
      return {
        csrf,
        cookie,
        request: (o: InjectOptions) =>
          app.inject({ ...o, headers: { cookie, 'x-csrf-token': csrf, ...(o.headers ?? {}) } }),
      };
    },
    async close() {
      await app.close();
      await db.close();
    },
  };
}
