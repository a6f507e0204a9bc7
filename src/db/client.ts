import { PGlite, types as pgliteTypes } from '@electric-sql/pglite';
import pg from 'pg';

export type SqlParam = string | number | boolean | null | Date | Buffer | Uint8Array | unknown[] | object;

/** The database as every repository sees it: the same SQL on PGlite (embedded) and PostgreSQL. */
export interface Db {
  readonly engine: 'pglite' | 'postgres';
  query<T = Record<string, unknown>>(sql: string, params?: SqlParam[]): Promise<T[]>;
  /** Runs a script of several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
  /** Runs `fn` in one transaction; nested calls reuse the outer transaction. */
  transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T>;
}

export interface Database extends Db {
  /** The engine underneath, for libraries that connect on their own (the job queue). */
  readonly raw: { engine: 'pglite'; pglite: PGlite } | { engine: 'postgres'; url: string; poolSize: number };
  close(): Promise<void>;
}

// Both engines return int8 (counts, VND amounts) as JS numbers: amounts stay far below 2^53.
const INT8 = 20;
const NUMERIC = 1700;

/** `loadDataDir` starts from a dumped data directory (tests reuse one migrated template). */
export async function openPglite(dataDir?: string, opts: { loadDataDir?: Blob } = {}): Promise<Database> {
  // One options object: `new PGlite(undefined, options)` ignores the options.
  const pglite = new PGlite({
    ...(dataDir ? { dataDir } : {}),
    ...(opts.loadDataDir ? { loadDataDir: opts.loadDataDir } : {}),
    parsers: { [INT8]: (v: string) => Number(v), [NUMERIC]: (v: string) => v },
    serializers: { [pgliteTypes.JSON]: (v: unknown) => JSON.stringify(v) },
  });
  await pglite.waitReady;

  const wrap = (q: Pick<PGlite, 'query' | 'exec'>, inTx: boolean): Db => ({
    engine: 'pglite',
    async query<T>(sql: string, params: SqlParam[] = []) {
      const res = await q.query<T>(sql, params);
      return res.rows;
    },
    async exec(sql: string) {
      await q.exec(sql);
    },
    async transaction<T>(fn: (tx: Db) => Promise<T>) {
      if (inTx) return fn(this);
      return pglite.transaction((tx) => fn(wrap(tx, true)));
    },
  });
  return {
    ...wrap(pglite, false),
    raw: { engine: 'pglite', pglite },
    close: () => pglite.close(),
  };
}

export async function openPostgres(url: string, poolSize = 10): Promise<Database> {
  const pool = new pg.Pool({
    connectionString: url,
    max: poolSize,
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
        if (oid === INT8) return (v: string) => Number(v);
        return pg.types.getTypeParser(oid, format);
      }) as typeof pg.types.getTypeParser,
    },
  });
  // A dropped idle connection must not crash the process; the pool replaces it.
  pool.on('error', () => {});

  const wrapClient = (client: pg.PoolClient): Db => ({
    engine: 'postgres',
    async query<T>(sql: string, params: SqlParam[] = []) {
      const res = await client.query(sql, params as unknown[]);
      return res.rows as T[];
    },
    async exec(sql: string) {
      await client.query(sql);
    },
    transaction: (fn) => fn(wrapClient(client)),
  });

  const db: Database = {
    engine: 'postgres',
    async query<T>(sql: string, params: SqlParam[] = []) {
      const res = await pool.query(sql, params as unknown[]);
      return res.rows as T[];
    },
    async exec(sql: string) {
      await pool.query(sql);
    },
    async transaction<T>(fn: (tx: Db) => Promise<T>) {
      const client = await pool.connect();
      let broken: Error | undefined;
      // Checked out, the client is no longer watched by the pool: a connection lost between two
      // statements (server restart, terminated backend) is an 'error' event that would crash the process.
      const onError = (err: Error) => {
        broken = err;
      };
      client.on('error', onError);
      try {
        await client.query('BEGIN');
        const result = await fn(wrapClient(client));
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch((e: Error) => {
          broken = e;
        });
        throw err;
      } finally {
        client.off('error', onError);
        // A connection that failed or cannot even roll back is dropped, not pooled.
        client.release(broken);
      }
    },
    raw: { engine: 'postgres', url, poolSize },
    close: () => pool.end(),
  };
  await db.query('SELECT 1');
  return db;
}

export async function openDatabase(opts: {
  databaseUrl: string | undefined;
  dataDir: string;
  poolSize?: number;
}): Promise<Database> {
  if (opts.databaseUrl) return openPostgres(opts.databaseUrl, opts.poolSize);
  return openPglite(`${opts.dataDir}/db`);
}

export async function one<T>(rows: Promise<T[]>): Promise<T> {
  const [row] = await rows;
  if (!row) throw new Error('Expected one row, got none');
  return row;
}

export async function maybeOne<T>(rows: Promise<T[]>): Promise<T | undefined> {
  const [row] = await rows;
  return row;
}
