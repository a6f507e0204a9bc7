import type { FastifyInstance, FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import type { Db } from '../db/client.ts';
import type { Clock } from '../lib/clock.ts';
import { sha256Hex } from '../lib/hash.ts';
import { usageEventIdFor } from './billable.ts';
import { defineErrors } from './errors.ts';
import { answersWith } from './openapi.ts';

/**
 * `Idempotency-Key` on `/v1` POST and PUT. The first answer (2xx or 4xx) is stored for 24 h and
 * replayed byte for byte to a retry with the same key (header `Idempotent-Replayed: true`); a retry
 * with the same key but another method, path or body → 422; a retry while the first is still
 * running → 409 with Retry-After. A 5xx answer is not stored, so the retry runs again. Keys are per
 * customer. A key whose first request died (process killed) is taken over after 2 minutes.
 *
 * The body fingerprint is the SHA-256 of the parsed JSON body. Multipart routes of this module
 * compute their own fingerprint from the file bytes (`config.idempotency: 'handler'` and
 * `beginIdempotency`); other multipart routes use the declared length and type.
 */
export const idempotencyError = defineErrors({
  ERR_IDEMPOTENCY_KEY_INVALID: {
    status: 400,
    title: 'Idempotency-Key must be 1–100 characters of A–Z a–z 0–9 _ - . :',
  },
  ERR_IDEMPOTENCY_KEY_REUSED: {
    status: 422,
    title: 'This Idempotency-Key was used for a different request',
  },
  ERR_IDEMPOTENCY_IN_PROGRESS: {
    status: 409,
    title: 'A request with this Idempotency-Key is still being processed',
  },
});

declare module 'fastify' {
  interface FastifyContextConfig {
    /** 'handler': the route computes its body fingerprint itself and calls `beginIdempotency`. */
    idempotency?: 'auto' | 'handler' | 'off';
  }
  interface FastifyRequest {
    idempotency?: { customerId: string; key: string };
  }
}

export const IDEMPOTENCY_TTL_MS = 24 * 3600_000;
const STALE_MS = 120_000;
const KEY = /^[A-Za-z0-9_\-.:]{1,100}$/;

interface StoredRow {
  method: string;
  route: string;
  body_hash: string;
  status_code: number | null;
  content_type: string | null;
  response: string | null;
  created_at: Date;
  expires_at: Date;
}

export function createIdempotency(deps: {
  db: Db;
  clock: Clock;
  /** After how long a key whose request never answered (its process died) may be taken over. */
  staleMs?: number;
}) {
  const { db, clock } = deps;
  const staleMs = deps.staleMs ?? STALE_MS;

  /**
   * Claims the request's key. Returns true when the answer was a replay (already sent): the caller
   * must then return `reply` and do nothing else.
   */
  async function begin(req: FastifyRequest, reply: FastifyReply, fingerprint: string): Promise<boolean> {
    const raw = req.headers['idempotency-key'];
    if (raw === undefined || !req.apiClient) return false;
    if (typeof raw !== 'string' || !KEY.test(raw)) throw idempotencyError('ERR_IDEMPOTENCY_KEY_INVALID');
    const customerId = req.apiClient.customerId;
    const route = req.url.split('?')[0] ?? '';
    const bodyHash = sha256Hex(fingerprint);
    req.usageEventId = usageEventIdFor(customerId, raw);
    for (let attempt = 0; attempt < 3; attempt++) {
      const now = clock.now();
      const inserted = await db.query(
        `INSERT INTO idempotency_keys (customer_id, key, method, route, body_hash, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (customer_id, key) DO NOTHING RETURNING key`,
        [customerId, raw, req.method, route, bodyHash, now, new Date(now.getTime() + IDEMPOTENCY_TTL_MS)],
      );
      if (inserted.length === 1) {
        req.idempotency = { customerId, key: raw };
        return false;
      }
      const [row] = await db.query<StoredRow>(
        `SELECT method, route, body_hash, status_code, content_type, response, created_at, expires_at
           FROM idempotency_keys WHERE customer_id = $1 AND key = $2`,
        [customerId, raw],
      );
      if (!row) continue;
      if (new Date(row.expires_at) <= now) {
        await db.query(
          'DELETE FROM idempotency_keys WHERE customer_id = $1 AND key = $2 AND expires_at <= $3',
          [customerId, raw, now],
        );
        continue;
      }
      if (row.method !== req.method || row.route !== route || row.body_hash !== bodyHash) {
        throw idempotencyError('ERR_IDEMPOTENCY_KEY_REUSED');
      }
      if (row.status_code === null) {
        // The first request is running, or died without answering: take it over once it is stale.
        const taken = await db.query(
          `UPDATE idempotency_keys SET created_at = $3
            WHERE customer_id = $1 AND key = $2 AND status_code IS NULL AND created_at < $4 RETURNING key`,
          [customerId, raw, now, new Date(now.getTime() - staleMs)],
        );
        if (taken.length === 1) {
          req.idempotency = { customerId, key: raw };
          return false;
        }
        throw idempotencyError('ERR_IDEMPOTENCY_IN_PROGRESS', undefined, undefined, { 'retry-after': '1' });
      }
      req.idempotentReplay = true;
      reply
        .code(row.status_code)
        .header('idempotent-replayed', 'true')
        .type(row.content_type ?? 'application/json; charset=utf-8')
        .send(row.response ?? '');
      return true;
    }
    throw idempotencyError('ERR_IDEMPOTENCY_IN_PROGRESS', undefined, undefined, { 'retry-after': '1' });
  }

  const preHandler: preHandlerAsyncHookHandler = answersWith<preHandlerAsyncHookHandler>(
    async (req, reply) => {
      const mode = req.routeOptions.config?.idempotency ?? 'auto';
      if (mode !== 'auto') return;
      const type = String(req.headers['content-type'] ?? '');
      const fingerprint = type.startsWith('multipart/')
        ? `multipart:${req.headers['content-length'] ?? ''}`
        : JSON.stringify(req.body ?? null);
      if (await begin(req, reply, fingerprint)) return reply;
    },
    ['ERR_IDEMPOTENCY_KEY_INVALID', 'ERR_IDEMPOTENCY_KEY_REUSED', 'ERR_IDEMPOTENCY_IN_PROGRESS'],
  );

  return {
    begin,
    preHandler,
    install(app: FastifyInstance) {
      app.addHook('onSend', async (req, reply, payload) => {
        const idem = req.idempotency;
        if (!idem || req.idempotentReplay) return payload;
        req.idempotency = undefined;
        const body =
          typeof payload === 'string' ? payload : Buffer.isBuffer(payload) ? payload.toString('utf8') : null;
        if (reply.statusCode >= 500 || body === null) {
          await db.query('DELETE FROM idempotency_keys WHERE customer_id = $1 AND key = $2', [
            idem.customerId,
            idem.key,
          ]);
          return payload;
        }
        await db.query(
          `UPDATE idempotency_keys SET status_code = $3, content_type = $4, response = $5
            WHERE customer_id = $1 AND key = $2`,
          [idem.customerId, idem.key, reply.statusCode, String(reply.getHeader('content-type') ?? ''), body],
        );
        return payload;
      });
    },
    /** Deletes keys past their 24 h (a job calls this). */
    async purgeExpired(): Promise<number> {
      const rows = await db.query('DELETE FROM idempotency_keys WHERE expires_at <= $1 RETURNING key', [
        clock.now(),
      ]);
      return rows.length;
    },
  };
}
export type Idempotency = ReturnType<typeof createIdempotency>;
