import type { Db } from '../../db/client.ts';
import { sha256Hex } from '../../lib/hash.ts';

/** Who did something: a logged-in user, a customer's API key, or the system itself (jobs). */
export interface Actor {
  type: 'user' | 'api_key' | 'system';
  id: string | null;
  ip?: string | null;
  requestId?: string | null;
}

export const systemActor: Actor = { type: 'system', id: null };

export interface AuditEntry {
  action: string;
  entityType: string;
  entityId?: string | null;
  customerId?: string | null;
  /** What changed and why. Ids and codes only: never names, ID numbers or images. */
  details?: Record<string, unknown>;
}

// Any constant: serialises audit writers so that each entry chains onto exactly one predecessor.
const AUDIT_CHAIN_LOCK = 7_202_612;
const GENESIS = '0'.repeat(64);

/** JSON with sorted keys: jsonb reorders keys, the hash must not depend on that. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

interface ChainFields {
  at: Date;
  actor_type: string;
  actor_id: string | null;
  action: string;
  entity_type: string;
  entity_id: string | null;
  customer_id: string | null;
  ip: string | null;
  request_id: string | null;
  details: Record<string, unknown>;
}

function entryHash(prevHash: string, e: ChainFields): string {
  return sha256Hex(
    canonicalJson({
      prev: prevHash,
      at: e.at.toISOString(),
      actor_type: e.actor_type,
      actor_id: e.actor_id,
      action: e.action,
      entity_type: e.entity_type,
      entity_id: e.entity_id,
      customer_id: e.customer_id,
      ip: e.ip,
      request_id: e.request_id,
      details: e.details,
    }),
  );
}

/** Writes one audit line, chained to the previous one. Call it inside the transaction of the change it records. */
export async function recordAudit(db: Db, actor: Actor, entry: AuditEntry): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [AUDIT_CHAIN_LOCK]);
    const [last] = await tx.query<{ hash: string | null }>(
      'SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1',
    );
    const prevHash = last?.hash ?? GENESIS;
    const fields: ChainFields = {
      at: new Date(),
      actor_type: actor.type,
      actor_id: actor.id,
      action: entry.action,
      entity_type: entry.entityType,
      entity_id: entry.entityId ?? null,
      customer_id: entry.customerId ?? null,
      ip: actor.ip ?? null,
      request_id: actor.requestId ?? null,
      details: entry.details ?? {},
    };
    await tx.query(
      `INSERT INTO audit_log (at, actor_type, actor_id, action, entity_type, entity_id, customer_id, ip, request_id, details, prev_hash, hash)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
      [
        fields.at,
        fields.actor_type,
        fields.actor_id,
        fields.action,
        fields.entity_type,
        fields.entity_id,
        fields.customer_id,
        fields.ip,
        fields.request_id,
        JSON.stringify(fields.details),
        prevHash,
        entryHash(prevHash, fields),
      ],
    );
  });
}

export interface AuditVerification {
  ok: boolean;
  checked: number;
  /** The first entry whose content or link does not match: edited, or its predecessor deleted. */
  brokenAt: number | null;
}

/** Walks the whole chain in id order; any edit, insertion or deletion shows up as a break. */
export async function verifyAuditChain(db: Db): Promise<AuditVerification> {
  let prev = GENESIS;
  let checked = 0;
  let afterId = 0;
  for (;;) {
    const rows = await db.query<AuditRow & { prev_hash: string | null; hash: string | null }>(
      'SELECT * FROM audit_log WHERE id > $1 ORDER BY id LIMIT 1000',
      [afterId],
    );
    if (rows.length === 0) return { ok: true, checked, brokenAt: null };
    for (const row of rows) {
      if (row.prev_hash !== prev || row.hash !== entryHash(prev, row))
        return { ok: false, checked, brokenAt: row.id };
      prev = row.hash;
      checked++;
      afterId = row.id;
    }
  }
}

export interface AuditRow extends ChainFields {
  id: number;
}

export interface AuditFilter {
  entityType?: string;
  entityId?: string;
  actorId?: string;
  /** An action (`contract.declare`) or its family (`contract` matches `contract.*`). */
  action?: string;
  /** Local calendar days (YYYY-MM-DD) in `timezone`, both included. */
  from?: string;
  to?: string;
  timezone?: string;
  /** Keyset paging: entries older than this id. */
  beforeId?: number;
  limit?: number;
}

export async function listAudit(db: Db, filter: AuditFilter): Promise<AuditRow[]> {
  const params: unknown[] = [];
  const where: string[] = [];
  if (filter.entityType) where.push(`entity_type = $${params.push(filter.entityType)}`);
  if (filter.entityId) where.push(`entity_id = $${params.push(filter.entityId)}`);
  if (filter.actorId) where.push(`actor_id = $${params.push(filter.actorId)}`);
  if (filter.action) {
    const family = `${filter.action.replace(/[\\%_]/g, '\\$&')}.%`;
    where.push(`(action = $${params.push(filter.action)} OR action LIKE $${params.push(family)})`);
  }
  // Days are the admin's local days: midnight in the service's time zone, converted by the database.
  const tz = filter.timezone ?? 'UTC';
  if (filter.from)
    where.push(`at >= ($${params.push(filter.from)}::date)::timestamp AT TIME ZONE $${params.push(tz)}`);
  if (filter.to)
    where.push(`at < ($${params.push(filter.to)}::date + 1)::timestamp AT TIME ZONE $${params.push(tz)}`);
  if (filter.beforeId !== undefined) where.push(`id < $${params.push(filter.beforeId)}`);
  const limit = Math.min(filter.limit ?? 100, 1000);
  return db.query<AuditRow>(
    `SELECT * FROM audit_log ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ${limit}`,
    params as string[],
  );
}
