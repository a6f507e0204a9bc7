import type { FastifyInstance } from 'fastify';
import type { Db } from '../db/client.ts';
import type { Clock } from '../lib/clock.ts';
import { sha256Hex } from '../lib/hash.ts';
import { newId } from '../lib/ids.ts';
import { createUsageRecorder } from '../modules/metering/metering.ts';

/**
 * Metering at the HTTP edge. A route declares `config: { billable: '<kind>' }`; every response of
 * such a route with a 2xx status writes exactly one usage event before the response leaves. Not
 * billable: requests rejected before the handler (auth, validation, rate limit, idempotency
 * conflicts), 4xx/5xx answers and idempotent replays. If the event cannot be written the request
 * fails with a 500, so no request is answered 2xx without being metered.
 */
declare module 'fastify' {
  interface FastifyContextConfig {
    billable?: string;
  }
  interface FastifyRequest {
    /** The usage event id of this request (derived from its Idempotency-Key when it has one). */
    usageEventId?: string;
    /** Set when the answer is an idempotent replay of an earlier one. */
    idempotentReplay?: boolean;
  }
}

/** The engines' single-call routes, billed even though their modules don't declare it themselves. */
export const DEFAULT_BILLABLE_ROUTES: Readonly<Record<string, string>> = {
  'POST /v1/documents/read': 'document_read',
  'POST /v1/faces/compare': 'face_match',
  'POST /v1/liveness/challenges/:id/verify': 'liveness',
  'POST /v1/liveness/challenges/:challengeId/verify': 'liveness',
  'POST /v1/chip/verify': 'chip_verify',
};

/** What one check of a session costs: the same kind as the single call it replaces. */
export const CHECK_USAGE_KIND: Readonly<Record<string, string>> = {
  document: 'document_read',
  face: 'face_match',
  liveness: 'liveness',
  chip: 'chip_verify',
};

/** Usage event id for a request: stable across retries with the same Idempotency-Key. */
export function usageEventIdFor(customerId: string, idempotencyKey?: string): string {
  return idempotencyKey
    ? `idk_${sha256Hex(`${customerId}\n${idempotencyKey}`).slice(0, 40)}`
    : newId('use', 24);
}

export function installBillable(app: FastifyInstance, deps: { db: Db; clock: Clock }): void {
  // Single calls have no result row to share a transaction with: concurrent answers share one
  // INSERT instead (group commit), and each still leaves only after its own event is committed.
  const usage = createUsageRecorder(deps.db);
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const config = (route.config ?? {}) as { billable?: string };
    if (config.billable) return;
    for (const m of methods) {
      const kind = DEFAULT_BILLABLE_ROUTES[`${m} ${route.url}`];
      if (kind) route.config = { ...config, billable: kind } as typeof route.config;
    }
  });

  app.addHook('onSend', async (req, reply, payload) => {
    const kind = req.routeOptions.config?.billable;
    if (!kind || req.idempotentReplay || !req.apiClient) return payload;
    if (reply.statusCode < 200 || reply.statusCode >= 300) return payload;
    const requestId = req.usageEventId ?? usageEventIdFor(req.apiClient.customerId);
    await usage.record({
      customerId: req.apiClient.customerId,
      apiKeyId: req.apiClient.keyId,
      requestId,
      kind,
      at: deps.clock.now(),
    });
    return payload;
  });
}
