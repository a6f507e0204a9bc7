import type { Db } from '../../db/client.ts';

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

/** Writes one audit line. Call it inside the same transaction as the change it records. */
export async function recordAudit(db: Db, actor: Actor, entry: AuditEntry): Promise<void> {
  await db.query(
    `INSERT INTO audit_log (actor_type, actor_id, action, entity_type, entity_id, customer_id, ip, request_id, details)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
    [
      actor.type,
      actor.id,
      entry.action,
      entry.entityType,
      entry.entityId ?? null,
      entry.customerId ?? null,
      actor.ip ?? null,
      actor.requestId ?? null,
      JSON.stringify(entry.details ?? {}),
    ],
  );
}

export interface AuditRow {
  id: number;
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

export async function listAudit(
  db: Db,
  filter: { entityType?: string; entityId?: string; actorId?: string; limit?: number },
): Promise<AuditRow[]> {
  const params: unknown[] = [];
  const where: string[] = [];
  if (filter.entityType) where.push(`entity_type = $${params.push(filter.entityType)}`);
  if (filter.entityId) where.push(`entity_id = $${params.push(filter.entityId)}`);
  if (filter.actorId) where.push(`actor_id = $${params.push(filter.actorId)}`);
  const limit = Math.min(filter.limit ?? 100, 1000);
  return db.query<AuditRow>(
    `SELECT * FROM audit_log ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ${limit}`,
    params as string[],
  );
}
