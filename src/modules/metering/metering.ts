import type { Db } from '../../db/client.ts';
import { defineErrors } from '../../http/errors.ts';

/**
 * Metering: one usage event per billable request. The public API calls `recordUsage` for every
 * billable request; the unique `requestId` makes a retry count once. High-volume producers send
 * batches through `recordUsageBatch` (one round trip per batch, same guarantee).
 */
export const meteringError = defineErrors({
  ERR_USAGE_INVALID: { status: 400, title: 'The usage event is not valid' },
});

export interface UsageEvent {
  customerId: string;
  apiKeyId?: string | null;
  /** Unique per billable request: a second event with the same id is ignored. */
  requestId: string;
  /** What was billed, e.g. `verification`, `ocr`, `face_match`. */
  kind: string;
  at: Date;
}

const KIND = /^[a-z][a-z0-9_.]{0,39}$/;
const ID = /^[A-Za-z0-9_\-.:]{1,200}$/;

function check(e: UsageEvent): void {
  if (typeof e.customerId !== 'string' || !ID.test(e.customerId)) {
    throw meteringError('ERR_USAGE_INVALID', 'customerId is missing or malformed');
  }
  if (typeof e.requestId !== 'string' || !ID.test(e.requestId)) {
    throw meteringError('ERR_USAGE_INVALID', 'requestId is missing or malformed');
  }
  if (typeof e.kind !== 'string' || !KIND.test(e.kind)) {
    throw meteringError('ERR_USAGE_INVALID', 'kind is missing or malformed');
  }
  if (e.apiKeyId != null && (typeof e.apiKeyId !== 'string' || !ID.test(e.apiKeyId))) {
    throw meteringError('ERR_USAGE_INVALID', 'apiKeyId is malformed');
  }
  if (!(e.at instanceof Date) || Number.isNaN(e.at.getTime())) {
    throw meteringError('ERR_USAGE_INVALID', 'at must be a valid date');
  }
}

/** Records one event; `recorded: false` when the request id was already counted. */
export async function recordUsage(db: Db, event: UsageEvent): Promise<{ recorded: boolean }> {
  check(event);
  const rows = await db.query(
    `INSERT INTO usage_events (request_id, customer_id, api_key_id, kind, at) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (request_id) DO NOTHING RETURNING id`,
    [event.requestId, event.customerId, event.apiKeyId ?? null, event.kind, event.at],
  );
  return { recorded: rows.length === 1 };
}

/** Up to this many events per statement (5 array parameters, far under any protocol limit). */
export const MAX_BATCH = 10_000;

/**
 * Records many events in one statement each `MAX_BATCH`; duplicates (already stored or repeated
 * inside the batch) are skipped. Returns how many were new.
 */
export async function recordUsageBatch(
  db: Db,
  events: readonly UsageEvent[],
): Promise<{ recorded: number; duplicates: number }> {
  for (const e of events) check(e);
  let recorded = 0;
  for (let i = 0; i < events.length; i += MAX_BATCH) {
    const chunk = events.slice(i, i + MAX_BATCH);
    const [row] = await db.query<{ n: number }>(
      `WITH ins AS (
         INSERT INTO usage_events (request_id, customer_id, api_key_id, kind, at)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[])
         ON CONFLICT (request_id) DO NOTHING RETURNING 1)
       SELECT count(*)::int AS n FROM ins`,
      [
        chunk.map((e) => e.requestId),
        chunk.map((e) => e.customerId),
        chunk.map((e) => e.apiKeyId ?? null),
        chunk.map((e) => e.kind),
        chunk.map((e) => e.at.toISOString()),
      ],
    );
    recorded += row?.n ?? 0;
  }
  return { recorded, duplicates: events.length - recorded };
}

/** Events of one customer inside [start, end). */
export async function countUsage(db: Db, customerId: string, start: Date, end: Date): Promise<number> {
  const [row] = await db.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM usage_events WHERE customer_id = $1 AND at >= $2 AND at < $3',
    [customerId, start, end],
  );
  return row?.n ?? 0;
}

/** Events per customer and local day inside [start, end), for the monthly run and reports. */
export async function dailyUsage(
  db: Db,
  start: Date,
  end: Date,
  timezone: string,
  customerId?: string,
): Promise<Array<{ customer_id: string; day: string; kind: string; n: number }>> {
  const params: unknown[] = [start, end, timezone];
  const only = customerId ? `AND customer_id = $${params.push(customerId)}` : '';
  return db.query(
    `SELECT customer_id, to_char((at AT TIME ZONE $3)::date, 'YYYY-MM-DD') AS day, kind, count(*)::int AS n
       FROM usage_events WHERE at >= $1 AND at < $2 ${only}
      GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`,
    params as string[],
  );
}
