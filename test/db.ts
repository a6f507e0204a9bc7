import { createHash, randomBytes } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import pg from 'pg';
import { type Database, openPglite, openPostgres } from '../src/db/client.ts';
import { migrate, migrationFiles } from '../src/db/migrate.ts';

export type Engine = 'pglite' | 'postgres';

/** The PostgreSQL server the database tests use; `.ci/run` makes sure it runs. */
export const TEST_POSTGRES_URL =
  process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

let postgresUp: Promise<boolean> | undefined;
function postgresAvailable(): Promise<boolean> {
  postgresUp ??= (async () => {
    const client = new pg.Client({ connectionString: TEST_POSTGRES_URL, connectionTimeoutMillis: 2000 });
    try {
      await client.connect();
      await client.end();
      return true;
    } catch {
      return false;
    }
  })();
  return postgresUp;
}

/**
 * A migrated PGlite data directory, dumped once and shared by every test process through a file named
 * by the migrations' content: starting from it skips initdb and the migrations (about 5× faster).
 */
async function pgliteTemplatePath(): Promise<string> {
  const hash = createHash('sha256');
  const dir = path.resolve(import.meta.dirname, '../src/db/migrations');
  for (const f of await migrationFiles()) hash.update(f).update(await readFile(path.join(dir, f)));
  return path.join(tmpdir(), `ekyc-pglite-template-${hash.digest('hex').slice(0, 16)}.tar`);
}

async function freshPglite(): Promise<Database> {
  const template = await pgliteTemplatePath();
  const dump = await readFile(template).catch(() => null);
  if (dump) return openPglite(undefined, { loadDataDir: new Blob([dump], { type: 'application/x-tar' }) });
  const db = await openPglite();
  await migrate(db);
  if (db.raw.engine === 'pglite') {
    const tar = Buffer.from(await (await db.raw.pglite.dumpDataDir('none')).arrayBuffer());
    const tmp = `${template}.${randomBytes(4).toString('hex')}`;
    await writeFile(tmp, tar);
    await rename(tmp, template);
  }
  return db;
}

/** A fresh, migrated database of the given engine; PostgreSQL gets a throwaway database per call. */
export async function freshDatabase(engine: Engine): Promise<Database> {
  if (engine === 'pglite') return freshPglite();
  const name = `ekyc_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: TEST_POSTGRES_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(TEST_POSTGRES_URL);
  url.pathname = `/${name}`;
  const db = await openPostgres(url.toString(), 5);
  await migrate(db);
  return {
    ...db,
    async close() {
      await db.close();
      const drop = new pg.Client({ connectionString: TEST_POSTGRES_URL });
      await drop.connect();
      await drop.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await drop.end();
    },
  };
}

/**
 * Declares `body` once per engine: the same test runs on embedded PGlite and on PostgreSQL.
 * Without a reachable PostgreSQL the PostgreSQL run is skipped locally, but fails under CI.
 */
export function onBothEngines(name: string, body: (engine: Engine) => Promise<void>): void {
  for (const engine of ['pglite', 'postgres'] as const) {
    test(`${name} [${engine}]`, async (t) => {
      if (engine === 'postgres' && !(await postgresAvailable())) {
        if (process.env.CI) throw new Error(`PostgreSQL is not reachable at ${TEST_POSTGRES_URL}`);
        t.skip('PostgreSQL not reachable');
        return;
      }
      await body(engine);
    });
  }
}
