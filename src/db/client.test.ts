import assert from 'node:assert/strict';
import { test } from 'node:test';
import pg from 'pg';
import { requirePostgres, throwawayDatabase } from '../../test/faults/harness.ts';
import { openPostgres } from './client.ts';

test('a connection cut inside a transaction fails that transaction, not the process; the pool recovers', async (t) => {
  if (!(await requirePostgres(t))) return;
  const fdb = await throwawayDatabase('client');
  const db = await openPostgres(fdb.url, 2);
  try {
    const killer = new pg.Client({ connectionString: fdb.url });
    await killer.connect();
    await assert.rejects(
      db.transaction(async (tx) => {
        const [me] = await tx.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
        // The backend is terminated while the client sits checked out between two statements:
        // without a listener that 'error' event would take the whole process down.
        await killer.query('SELECT pg_terminate_backend($1)', [me!.pid]);
        await new Promise((r) => setTimeout(r, 300));
        await tx.query('SELECT 1');
      }),
    );
    await killer.end();
    // The broken connection was dropped, not handed out again.
    for (let i = 0; i < 4; i++) {
      assert.deepEqual(await db.transaction((tx) => tx.query('SELECT 1 AS one')), [{ one: 1 }]);
    }
  } finally {
    await db.close();
    await fdb.drop();
  }
});
