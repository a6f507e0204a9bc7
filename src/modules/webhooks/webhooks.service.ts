import type { Db } from '../../db/client.ts';
import { defineErrors } from '../../http/errors.ts';
import type { Clock } from '../../lib/clock.ts';
import { newId, randomToken } from '../../lib/ids.ts';
import type { Notifier } from '../notify/notify.service.ts';
import { SIGNATURE_HEADER, signatureHeader } from './signing.ts';

export const webhookError = defineErrors({
  ERR_WEBHOOK_URL: {
    status: 400,
    title: 'The webhook URL must be an absolute http(s) URL without credentials',
  },
  ERR_WEBHOOK_NOT_FOUND: { status: 404, title: 'Webhook endpoint or delivery not found' },
  ERR_WEBHOOK_LIMIT: { status: 409, title: 'Too many webhook endpoints for this customer' },
});

export const WEBHOOK_EVENTS = [
  'session.completed',
  'session.review_decided',
  'session.expired',
  'webhook.test',
] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

/** Waits after failed attempt n (1-based): ~1 min, 5 min, 30 min, 2 h, 12 h; then the endpoint is disabled. */
export const BACKOFF_MS = [60_000, 300_000, 1_800_000, 7_200_000, 43_200_000] as const;
export const MAX_ATTEMPTS = BACKOFF_MS.length + 1;
/** How long the previous secret keeps signing after a rotation. */
export const ROTATION_OVERLAP_MS = 24 * 3600_000;
const TIMEOUT_MS = 10_000;
/**
 * A claim outlives one attempt (the fetch timeout plus writing the outcome), so two live senders
 * never overlap; a sender killed mid-attempt leaves deliveries that another run takes over after it.
 */
const CLAIM_MS = TIMEOUT_MS + 10_000;
const MAX_ENDPOINTS = 10;

export interface EndpointRow {
  id: string;
  customer_id: string;
  url: string;
  events: string[];
  secret: string;
  previous_secret: string | null;
  previous_secret_expires_at: Date | null;
  enabled: boolean;
  disabled_at: Date | null;
  disabled_reason: string | null;
  created_at: Date;
  deleted_at: Date | null;
}

export function publicEndpoint(e: EndpointRow) {
  return {
    id: e.id,
    url: e.url,
    events: e.events,
    enabled: e.enabled,
    disabled_at: e.disabled_at ? new Date(e.disabled_at).toISOString() : null,
    disabled_reason: e.disabled_reason,
    secret_rotating_until: e.previous_secret_expires_at
      ? new Date(e.previous_secret_expires_at).toISOString()
      : null,
    created_at: new Date(e.created_at).toISOString(),
  };
}

function checkUrl(raw: string): string {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw webhookError('ERR_WEBHOOK_URL');
  }
  if (!['http:', 'https:'].includes(u.protocol) || u.username || u.password)
    throw webhookError('ERR_WEBHOOK_URL');
  return u.toString();
}

export function createWebhookService(deps: {
  db: Db;
  clock: Clock;
  notifier?: Notifier;
  /** Called after events are enqueued, to wake the delivery job (e.g. `queue.send`). */
  onEnqueued?: () => void;
  fetch?: typeof fetch;
}) {
  const { db, clock } = deps;
  const doFetch = deps.fetch ?? fetch;

  async function endpoint(customerId: string, id: string): Promise<EndpointRow> {
    const [row] = await db.query<EndpointRow>(
      'SELECT * FROM webhook_endpoints WHERE id = $1 AND customer_id = $2 AND deleted_at IS NULL',
      [id, customerId],
    );
    if (!row) throw webhookError('ERR_WEBHOOK_NOT_FOUND');
    return row;
  }

  /** Live secrets of an endpoint: the current one, plus the previous during a rotation. */
  function liveSecrets(e: EndpointRow, now: Date): string[] {
    const s = [e.secret];
    if (e.previous_secret && e.previous_secret_expires_at && new Date(e.previous_secret_expires_at) > now) {
      s.push(e.previous_secret);
    }
    return s;
  }

  const service = {
    async create(customerId: string, input: { url: string; events?: string[] }) {
      const url = checkUrl(input.url);
      const [n] = await db.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM webhook_endpoints WHERE customer_id = $1 AND deleted_at IS NULL',
        [customerId],
      );
      if ((n?.n ?? 0) >= MAX_ENDPOINTS) throw webhookError('ERR_WEBHOOK_LIMIT');
      const id = newId('whe');
      const secret = `whsec_${randomToken(32)}`;
      const events = input.events?.length
        ? [...new Set(input.events)]
        : WEBHOOK_EVENTS.filter((e) => e !== 'webhook.test');
      const [row] = await db.query<EndpointRow>(
        `INSERT INTO webhook_endpoints (id, customer_id, url, events, secret, created_at)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING *`,
        [id, customerId, url, JSON.stringify(events), secret, clock.now()],
      );
      return { endpoint: publicEndpoint(row!), secret };
    },

    async list(customerId: string) {
      const rows = await db.query<EndpointRow>(
        'SELECT * FROM webhook_endpoints WHERE customer_id = $1 AND deleted_at IS NULL ORDER BY created_at, id',
        [customerId],
      );
      return rows.map(publicEndpoint);
    },

    async update(
      customerId: string,
      id: string,
      input: { url?: string; events?: string[]; enabled?: boolean },
    ) {
      const e = await endpoint(customerId, id);
      const url = input.url ? checkUrl(input.url) : e.url;
      const events = input.events ? [...new Set(input.events)] : e.events;
      const enabled = input.enabled ?? e.enabled;
      const [row] = await db.query<EndpointRow>(
        `UPDATE webhook_endpoints SET url = $2, events = $3, enabled = $4,
           disabled_at = CASE WHEN $4 THEN NULL ELSE coalesce(disabled_at, $5) END,
           disabled_reason = CASE WHEN $4 THEN NULL ELSE coalesce(disabled_reason, 'disabled by the customer') END
         WHERE id = $1 RETURNING *`,
        [id, url, JSON.stringify(events), enabled, clock.now()],
      );
      return publicEndpoint(row!);
    },

    async remove(customerId: string, id: string) {
      await endpoint(customerId, id);
      await db.query('UPDATE webhook_endpoints SET deleted_at = $2, enabled = false WHERE id = $1', [
        id,
        clock.now(),
      ]);
    },

    /** New secret; the previous one keeps signing (second `v1`) for 24 h so receivers can switch. */
    async rotateSecret(customerId: string, id: string) {
      const e = await endpoint(customerId, id);
      const secret = `whsec_${randomToken(32)}`;
      const until = new Date(clock.now().getTime() + ROTATION_OVERLAP_MS);
      const [row] = await db.query<EndpointRow>(
        `UPDATE webhook_endpoints SET secret = $2, previous_secret = $3, previous_secret_expires_at = $4
          WHERE id = $1 RETURNING *`,
        [id, secret, e.secret, until],
      );
      return { endpoint: publicEndpoint(row!), secret };
    },

    /**
     * Queues an event for every enabled endpoint of the customer that subscribes to it. Call it
     * inside the transaction of the change that causes it: no event for a change that rolled back.
     */
    async enqueue(
      tx: Db,
      customerId: string,
      type: WebhookEvent,
      data: Record<string, unknown>,
      only?: string,
    ) {
      const endpoints = await tx.query<EndpointRow>(
        `SELECT * FROM webhook_endpoints WHERE customer_id = $1 AND deleted_at IS NULL AND enabled
           AND ($2::text IS NULL OR id = $2)`,
        [customerId, only ?? null],
      );
      const now = clock.now();
      const eventId = newId('evt');
      const payload = JSON.stringify({ id: eventId, type, created_at: now.toISOString(), data });
      let n = 0;
      for (const e of endpoints) {
        if (type !== 'webhook.test' && !e.events.includes(type)) continue;
        await tx.query(
          `INSERT INTO webhook_deliveries (id, endpoint_id, customer_id, event_id, event_type, payload, status, next_attempt_at, created_at)
           VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7, $7)`,
          [newId('whd'), e.id, customerId, eventId, type, payload, now],
        );
        n++;
      }
      return { eventId, deliveries: n };
    },

    /** Fires deliveries queued by `enqueue` (the delivery job does the same every minute). */
    notifyEnqueued() {
      deps.onEnqueued?.();
    },

    async sendTest(customerId: string, id: string) {
      await endpoint(customerId, id);
      const r = await db.transaction((tx) =>
        service.enqueue(tx, customerId, 'webhook.test', { endpoint_id: id }, id),
      );
      service.notifyEnqueued();
      return r;
    },

    /** Sends the delivery again now (a new attempt; a delivered one is re-sent too). */
    async redeliver(customerId: string, deliveryId: string) {
      const rows = await db.query(
        `UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = $3, claimed_until = NULL
          WHERE id = $1 AND customer_id = $2 RETURNING id`,
        [deliveryId, customerId, clock.now()],
      );
      if (rows.length === 0) throw webhookError('ERR_WEBHOOK_NOT_FOUND');
      service.notifyEnqueued();
    },

    async deliveries(customerId: string, endpointId: string, limit = 50) {
      await endpoint(customerId, endpointId);
      const rows = await db.query<Record<string, unknown>>(
        `SELECT d.id, d.event_id, d.event_type, d.status, d.attempts, d.next_attempt_at, d.last_status_code,
                d.last_error, d.created_at, d.delivered_at,
                coalesce((SELECT json_agg(json_build_object('at', a.at, 'status_code', a.status_code, 'error', a.error,
                   'duration_ms', a.duration_ms) ORDER BY a.at) FROM webhook_attempts a WHERE a.delivery_id = d.id), '[]') AS log
           FROM webhook_deliveries d WHERE d.endpoint_id = $1 ORDER BY d.created_at DESC, d.id DESC LIMIT $2`,
        [endpointId, limit],
      );
      const iso = (v: unknown) => (v ? new Date(v as string).toISOString() : null);
      return rows.map((r) => ({
        ...r,
        next_attempt_at: iso(r.next_attempt_at),
        created_at: iso(r.created_at),
        delivered_at: iso(r.delivered_at),
      }));
    },

    /**
     * Sends every due delivery once, `batch` at a time until none is left (a backlog after an outage
     * drains in one run, not `batch` per minute). At-least-once: a delivery is claimed for
     * `CLAIM_MS`, so a crashed sender's claim lapses and another run sends it again. Returns how
     * many were attempted.
     */
    async deliverDue(batch = 20): Promise<number> {
      let total = 0;
      for (;;) {
        const n = await deliverBatch(batch);
        total += n;
        if (n < batch) return total;
      }
    },
  };

  async function deliverBatch(limit: number): Promise<number> {
    const now = clock.now();
    const claimed = await db.transaction((tx) =>
      tx.query<{
        id: string;
        endpoint_id: string;
        payload: string;
        attempts: number;
        event_id: string;
        event_type: string;
      }>(
        `UPDATE webhook_deliveries SET status = 'delivering', claimed_until = $2
            WHERE id IN (SELECT id FROM webhook_deliveries
                          WHERE (status = 'pending' AND next_attempt_at <= $1)
                             OR (status = 'delivering' AND claimed_until < $1)
                          ORDER BY next_attempt_at LIMIT $3 FOR UPDATE SKIP LOCKED)
            RETURNING id, endpoint_id, payload, attempts, event_id, event_type`,
        [now, new Date(now.getTime() + CLAIM_MS), limit],
      ),
    );
    await Promise.all(claimed.map((d) => attempt(d)));
    return claimed.length;
  }

  async function attempt(d: {
    id: string;
    endpoint_id: string;
    payload: string;
    attempts: number;
    event_id: string;
    event_type: string;
  }) {
    const [e] = await db.query<EndpointRow>('SELECT * FROM webhook_endpoints WHERE id = $1', [d.endpoint_id]);
    const now = clock.now();
    if (!e || !e.enabled || e.deleted_at) {
      await db.query(
        `UPDATE webhook_deliveries SET status = 'failed', last_error = 'endpoint disabled', claimed_until = NULL WHERE id = $1`,
        [d.id],
      );
      return;
    }
    const ts = Math.floor(now.getTime() / 1000);
    const started = performance.now();
    let status: number | null = null;
    let error: string | null = null;
    try {
      const res = await doFetch(e.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'MobiFone-eKYC-Webhooks/1',
          [SIGNATURE_HEADER]: signatureHeader(liveSecrets(e, now), ts, d.payload),
          'ekyc-event-id': d.event_id,
          'ekyc-event-type': d.event_type,
          'ekyc-delivery-id': d.id,
        },
        body: d.payload,
        redirect: 'manual',
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
      status = res.status;
      await res.body?.cancel().catch(() => {});
      if (status < 200 || status >= 300) error = `HTTP ${status}`;
    } catch (err) {
      error = err instanceof Error && err.name === 'TimeoutError' ? 'timeout' : 'connection failed';
    }
    const ms = Math.round(performance.now() - started);
    const attempts = d.attempts + 1;
    await db.transaction(async (tx) => {
      await tx.query(
        'INSERT INTO webhook_attempts (delivery_id, at, status_code, error, duration_ms) VALUES ($1, $2, $3, $4, $5)',
        [d.id, now, status, error, ms],
      );
      if (!error) {
        await tx.query(
          `UPDATE webhook_deliveries SET status = 'delivered', attempts = $2, last_status_code = $3, last_error = NULL,
             delivered_at = $4, claimed_until = NULL, next_attempt_at = NULL WHERE id = $1`,
          [d.id, attempts, status, now],
        );
        return;
      }
      if (attempts >= MAX_ATTEMPTS) {
        await tx.query(
          `UPDATE webhook_deliveries SET status = 'failed', attempts = $2, last_status_code = $3, last_error = $4,
             claimed_until = NULL, next_attempt_at = NULL WHERE id = $1`,
          [d.id, attempts, status, error],
        );
        const disabled = await tx.query(
          `UPDATE webhook_endpoints SET enabled = false, disabled_at = $2,
             disabled_reason = 'delivery failed ${MAX_ATTEMPTS} times' WHERE id = $1 AND enabled RETURNING id`,
          [e.id, now],
        );
        if (disabled.length === 1 && deps.notifier) {
          const [c] = await tx.query<{ contact_email: string | null }>(
            'SELECT contact_email FROM customers WHERE id = $1',
            [e.customer_id],
          );
          if (c?.contact_email) {
            await deps.notifier.queue(tx, {
              channel: 'email',
              recipient: c.contact_email,
              subject: 'Webhook đã bị tắt / Webhook endpoint disabled',
              bodyText: `Điểm nhận webhook ${e.id} đã bị tắt sau ${MAX_ATTEMPTS} lần gửi thất bại. Hãy kiểm tra và bật lại.\n\nWebhook endpoint ${e.id} was disabled after ${MAX_ATTEMPTS} failed deliveries. Fix it and enable it again.`,
              template: 'webhook.disabled',
              entityType: 'webhook_endpoint',
              entityId: e.id,
            });
          }
        }
        return;
      }
      await tx.query(
        `UPDATE webhook_deliveries SET status = 'pending', attempts = $2, last_status_code = $3, last_error = $4,
           claimed_until = NULL, next_attempt_at = $5 WHERE id = $1`,
        [d.id, attempts, status, error, new Date(now.getTime() + BACKOFF_MS[attempts - 1]!)],
      );
    });
  }

  return service;
}
export type WebhookService = ReturnType<typeof createWebhookService>;
