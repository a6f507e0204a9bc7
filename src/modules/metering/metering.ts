import type { Db } from '../../db/client.ts';
import { defineErrors } from '../../http/errors.ts';

/**
 * Metering: one usage event per billable request; the unique `requestId` makes a retry count once.
 * A session's checks call `recordUsage` inside the transaction of the result they bill. Single calls
 * (one event per answer, many at once) go through `createUsageRecorder` (`src/http/billable.ts`),
 * which group-commits concurrent calls; producers that hold many events send them through
 * `recordUsageBatch` (one round trip per batch, same guarantee).
 */
export const meteringError = defineErrors({
  ERR_USAGE_INVALID: { status: 400, title: 'The usage event is not valid' },
  ERR_USAGE_BUSY: { status: 503, title: 'Usage ingestion is saturated; retry the same event later' },
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

/** One multi-row INSERT; returns the request ids it stored (a duplicate, earlier or in `events`, is not). */
async function insertEvents(db: Db, events: readonly UsageEvent[]): Promise<Set<string>> {
  const rows = await db.query<{ request_id: string }>(
    `INSERT INTO usage_events (request_id, customer_id, api_key_id, kind, at)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[])
     ON CONFLICT (request_id) DO NOTHING RETURNING request_id`,
    [
      events.map((e) => e.requestId),
      events.map((e) => e.customerId),
      events.map((e) => e.apiKeyId ?? null),
      events.map((e) => e.kind),
      events.map((e) => e.at.toISOString()),
    ],
  );
  return new Set(rows.map((r) => r.request_id));
}

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
    recorded += (await insertEvents(db, events.slice(i, i + MAX_BATCH))).size;
  }
  return { recorded, duplicates: events.length - recorded };
}

export interface UsageRecorderOptions {
  /** A batch is written as soon as it holds this many events. */
  maxBatch: number;
  /** …or this long after its first event arrived. */
  maxWaitMs: number;
  /** Batches written at the same time (each holds one pooled connection). */
  maxInFlight: number;
  /** Events waiting or being written; beyond it `record` refuses with ERR_USAGE_BUSY. */
  maxQueued: number;
}

export const DEFAULT_RECORDER_OPTIONS: UsageRecorderOptions = {
  maxBatch: 500,
  maxWaitMs: 1,
  maxInFlight: 4,
  maxQueued: 20_000,
};

interface Waiting {
  event: UsageEvent;
  resolve: (r: { recorded: boolean }) => void;
  reject: (err: unknown) => void;
}

/**
 * Group commit for one-event-per-call ingestion: concurrent `record` calls are written together in
 * one multi-row INSERT (its own transaction), so a thousand callers cost one commit instead of a
 * thousand. Each promise settles only after its batch's statement has committed: nobody hears
 * "recorded" for an event that a crash could still lose, and a failed statement rejects every
 * caller in it (none of its events was stored, so a retry is safe). Two calls with the same
 * request id, in one batch or not, store one row and only one of them is told `recorded: true`.
 */
export function createUsageRecorder(db: Db, options: Partial<UsageRecorderOptions> = {}) {
  const o = { ...DEFAULT_RECORDER_OPTIONS, ...options };
  let queue: Waiting[] = [];
  let queued = 0;
  let inFlight = 0;
  let timer: NodeJS.Timeout | undefined;
  let due = false;
  const idle: Array<() => void> = [];

  async function write(batch: Waiting[]): Promise<void> {
    try {
      const stored = await insertEvents(
        db,
        batch.map((w) => w.event),
      );
      for (const w of batch) {
        // `delete`: of two callers with one request id in this batch, only the first hears "recorded".
        w.resolve({ recorded: stored.delete(w.event.requestId) });
      }
    } catch (err) {
      for (const w of batch) w.reject(err);
    } finally {
      inFlight -= 1;
      queued -= batch.length;
      pump();
    }
  }

  /** Starts batches while one is full or due and a slot is free. */
  function pump(): void {
    while (queue.length > 0 && inFlight < o.maxInFlight && (due || queue.length >= o.maxBatch)) {
      const batch = queue.slice(0, o.maxBatch);
      queue = queue.slice(o.maxBatch);
      inFlight += 1;
      void write(batch);
    }
    if (queue.length === 0) {
      due = false;
      clearTimeout(timer);
      timer = undefined;
      if (inFlight === 0) for (const done of idle.splice(0)) done();
    } else if (!due && !timer) {
      timer = setTimeout(() => {
        timer = undefined;
        due = true;
        pump();
      }, o.maxWaitMs);
    }
  }

  return {
    /** Records one event; settles once it is committed (or refused). */
    async record(event: UsageEvent): Promise<{ recorded: boolean }> {
      check(event);
      if (queued >= o.maxQueued) throw meteringError('ERR_USAGE_BUSY');
      queued += 1;
      return new Promise((resolve, reject) => {
        queue.push({ event, resolve, reject });
        pump();
      });
    },
    /** Writes everything waiting now and resolves when nothing is waiting or being written. */
    flush(): Promise<void> {
      due = queue.length > 0;
      pump();
      if (queue.length === 0 && inFlight === 0) return Promise.resolve();
      return new Promise((done) => idle.push(done));
    },
  };
}

export type UsageRecorder = ReturnType<typeof createUsageRecorder>;

/** Events of one customer inside [start, end). */
export async function countUsage(db: Db, customerId: string, start: Date, end: Date): Promise<number> {
  const [row] = await db.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM usage_events WHERE customer_id = $1 AND at >= $2 AND at < $3',
    [customerId, start, end],
  );
  return row?.n ?? 0;
}
