import type { FastifyRequest } from 'fastify';
import type { Db } from '../db/client.ts';
import type { Clock } from '../lib/clock.ts';
import { httpError } from './errors.ts';
import { answersWith } from './openapi.ts';

/**
 * Per-customer rate limit on `/v1`: a token bucket held IN MEMORY, per process.
 *
 * Why in memory: it runs on every public request, and a DB round trip (plus a hot row updated by
 * every request of a customer) would cost more than most of the reads it protects; a limit exists
 * to shed load, so it must be cheaper than the load. The cost: with N processes behind a balancer a
 * customer gets up to N × the limit, so configure the per-process value as (contract limit / N).
 * Per-customer overrides live in `customer_rate_limits` and are re-read every 30 s.
 */
export interface RateLimitSettings {
  requestsPerSecond: number;
  burst: number;
}

export function createRateLimiter(deps: { db: Db; clock: Clock; defaults: RateLimitSettings }) {
  const buckets = new Map<string, { tokens: number; at: number }>();
  const overrides = new Map<string, { settings: RateLimitSettings; until: number }>();

  async function settingsFor(customerId: string, now: number): Promise<RateLimitSettings> {
    const cached = overrides.get(customerId);
    if (cached && cached.until > now) return cached.settings;
    const [row] = await deps.db.query<{ requests_per_second: number; burst: number }>(
      'SELECT requests_per_second, burst FROM customer_rate_limits WHERE customer_id = $1',
      [customerId],
    );
    const settings = row
      ? { requestsPerSecond: Number(row.requests_per_second), burst: row.burst }
      : deps.defaults;
    overrides.set(customerId, { settings, until: now + 30_000 });
    return settings;
  }

  const limiter = {
    /** Takes one token; throws 429 ERR_RATE_LIMITED with Retry-After (seconds) when none is left. */
    async take(customerId: string): Promise<void> {
      const s = await settingsFor(customerId, deps.clock.now().getTime());
      // Read the time after the await: a request whose settings lookup was slow must not refill the
      // bucket from a moment before a later request's, which would take tokens away instead.
      const now = deps.clock.now().getTime();
      const b = buckets.get(customerId) ?? { tokens: s.burst, at: now };
      b.tokens = Math.min(s.burst, b.tokens + (Math.max(0, now - b.at) / 1000) * s.requestsPerSecond);
      b.at = Math.max(b.at, now);
      if (b.tokens < 1) {
        buckets.set(customerId, b);
        const wait = Math.max(1, Math.ceil((1 - b.tokens) / s.requestsPerSecond));
        throw httpError('ERR_RATE_LIMITED', `Limit ${s.requestsPerSecond}/s, burst ${s.burst}`, undefined, {
          'retry-after': String(wait),
        });
      }
      b.tokens -= 1;
      buckets.set(customerId, b);
    },
    /** Forget cached overrides (after an operator changes them). */
    invalidate(customerId?: string) {
      if (customerId) overrides.delete(customerId);
      else overrides.clear();
    },
    hook() {
      return answersWith(
        async (req: FastifyRequest) => {
          if (req.apiClient) await limiter.take(req.apiClient.customerId);
        },
        ['ERR_RATE_LIMITED'],
      );
    },
  };
  return limiter;
}
export type RateLimiter = ReturnType<typeof createRateLimiter>;
