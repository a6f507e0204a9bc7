import assert from 'node:assert/strict';
import { after, describe } from 'node:test';
import { type Engine, freshDatabase, onBothEngines } from '../../../test/db.ts';
import type { Database } from '../../db/client.ts';
import { createUsageRecorder, type UsageEvent } from './metering.ts';

/** One database per engine for the file; each test uses its own request-id prefix. */
const dbs = new Map<Engine, Promise<Database>>();
const dbOf = (engine: Engine) => {
  if (!dbs.has(engine)) dbs.set(engine, freshDatabase(engine));
  return dbs.get(engine)!;
};
after(async () => {
  for (const db of dbs.values()) await (await db).close();
});

const event = (requestId: string, kind = 'verification'): UsageEvent => ({
  customerId: 'cus_meter',
  requestId,
  kind,
  at: new Date('2026-11-02T03:00:00Z'),
});

async function stored(db: Database, prefix: string): Promise<number> {
  const [row] = await db.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM usage_events WHERE request_id LIKE $1',
    [`${prefix}%`],
  );
  return row?.n ?? 0;
}

describe('group-commit usage recorder', () => {
  onBothEngines('concurrent duplicates are stored once and reported recorded once', async (engine) => {
    const db = await dbOf(engine);
    const recorder = createUsageRecorder(db, { maxBatch: 64 });
    await recorder.record(event('dup-0'));
    // 200 distinct ids, each sent three times in a row at once: batches of 64 hold duplicates
    // inside them and split some across two batches.
    const ids = Array.from({ length: 200 }, (_, i) => `dup-${i}`);
    const results = await Promise.all(
      ids.flatMap((id) => [id, id, id]).map((id) => recorder.record(event(id))),
    );
    assert.equal(results.filter((r) => r.recorded).length, 199);
    assert.equal(await stored(db, 'dup-'), 200);
  });

  onBothEngines('a caller hears "recorded" only once its row is committed', async (engine) => {
    const db = await dbOf(engine);
    const recorder = createUsageRecorder(db, { maxBatch: 10, maxWaitMs: 60_000 });
    // A full batch goes at once (the 60 s timer never matters); each row is visible to any reader then.
    await Promise.all(
      Array.from({ length: 10 }, async (_, i) => {
        assert.deepEqual(await recorder.record(event(`seen-${i}`)), { recorded: true });
        const [row] = await db.query<{ n: number }>(
          'SELECT count(*)::int AS n FROM usage_events WHERE request_id = $1',
          [`seen-${i}`],
        );
        assert.equal(row?.n, 1);
      }),
    );
    // A lone event goes when its wait is over; flush() writes one now.
    const lone = createUsageRecorder(db, { maxWaitMs: 5 });
    assert.deepEqual(await lone.record(event('seen-lone')), { recorded: true });
    const late = recorder.record(event('seen-flushed'));
    await recorder.flush();
    assert.equal(await stored(db, 'seen-flushed'), 1);
    assert.deepEqual(await late, { recorded: true });
  });

  onBothEngines('a failing flush rejects every caller in it and stores none of them', async (engine) => {
    const db = await dbOf(engine);
    // A real refusal by the database: this kind breaks a constraint, so the whole INSERT fails.
    await db.exec(`ALTER TABLE usage_events ADD CONSTRAINT usage_no_poison CHECK (kind <> 'poison')`);
    try {
      const recorder = createUsageRecorder(db, { maxWaitMs: 20 });
      const calls = [
        ...Array.from({ length: 20 }, (_, i) => recorder.record(event(`fail-${i}`))),
        recorder.record(event('fail-poison', 'poison')),
      ];
      const settled = await Promise.allSettled(calls);
      assert.equal(settled.filter((s) => s.status === 'rejected').length, 21);
      assert.equal(await stored(db, 'fail-'), 0);
      // The recorder carries on; the same events retried count once.
      const retried = await Promise.all(
        Array.from({ length: 20 }, (_, i) => recorder.record(event(`fail-${i}`))),
      );
      assert.ok(retried.every((r) => r.recorded));
      assert.equal(await stored(db, 'fail-'), 20);
    } finally {
      await db.exec('ALTER TABLE usage_events DROP CONSTRAINT usage_no_poison');
    }
  });

  onBothEngines('the queue is bounded and malformed events are refused up front', async (engine) => {
    const db = await dbOf(engine);
    const recorder = createUsageRecorder(db, { maxQueued: 5, maxWaitMs: 20 });
    const settled = await Promise.allSettled(
      Array.from({ length: 8 }, (_, i) => recorder.record(event(`busy-${i}`))),
    );
    const refused = settled.filter((s) => s.status === 'rejected');
    assert.equal(refused.length, 3);
    for (const r of refused) assert.equal((r.reason as { code: string }).code, 'ERR_USAGE_BUSY');
    assert.equal(await stored(db, 'busy-'), 5);
    await assert.rejects(recorder.record(event('bad id with spaces')), { code: 'ERR_USAGE_INVALID' });
    assert.deepEqual(await recorder.record(event('busy-after')), { recorded: true });
  });
});
