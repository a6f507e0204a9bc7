import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Db } from '../db/client.ts';
import { fixedClock } from '../lib/clock.ts';
import { createRateLimiter } from './rate-limit.ts';

/**
 * A database whose override lookups answer only when `release` is called, newest first: under load
 * a later request's lookup can come back before an earlier one's.
 */
function slowDb(row: { requests_per_second: number; burst: number }) {
  const waiting: Array<() => void> = [];
  const db = {
    query: () => new Promise((resolve) => waiting.push(() => resolve([row]))),
  } as unknown as Db;
  const release = () => {
    for (const go of waiting.splice(0).reverse()) go();
  };
  return { db, release };
}

test('a request whose settings lookup was slow does not drain the bucket of later requests', async () => {
  const clock = fixedClock('2026-11-24T02:00:00Z');
  const { db, release } = slowDb({ requests_per_second: 10_000, burst: 10_000 });
  const limiter = createRateLimiter({ db, clock, defaults: { requestsPerSecond: 1, burst: 1 } });
  // The first request starts its lookup; a second later another arrives; then both lookups answer.
  const first = limiter.take('cus_a');
  clock.advance(1_000);
  const second = limiter.take('cus_a');
  clock.advance(1);
  release();
  await Promise.all([first, second]);
  // 10,000 tokens of burst, two taken: 9,000 more requests in the same millisecond still pass.
  const more = await Promise.allSettled(Array.from({ length: 9_000 }, () => limiter.take('cus_a')));
  assert.equal(more.filter((r) => r.status === 'rejected').length, 0);
});

test('past its burst a customer is refused with ERR_RATE_LIMITED and Retry-After, others are not', async () => {
  const clock = fixedClock('2026-11-24T02:00:00Z');
  const db = { query: async () => [] } as unknown as Db;
  const limiter = createRateLimiter({ db, clock, defaults: { requestsPerSecond: 2, burst: 3 } });
  for (const _ of [1, 2, 3]) await limiter.take('cus_a');
  await assert.rejects(limiter.take('cus_a'), (err: { code?: string; headers?: Record<string, string> }) => {
    assert.equal(err.code, 'ERR_RATE_LIMITED');
    assert.equal(err.headers?.['retry-after'], '1');
    return true;
  });
  await limiter.take('cus_b');
  clock.advance(500);
  await limiter.take('cus_a');
});
