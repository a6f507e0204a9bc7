import type { Db, SqlParam } from '../../db/client.ts';
import { customerScopeSql, type Scope } from '../accounts/scope.ts';

export type ContractStatus =
  | 'declared'
  | 'provisioning'
  | 'active'
  | 'expiring'
  | 'renewed'
  | 'expired'
  | 'cancellation_requested'
  | 'cancelled';

export interface ContractRow {
  id: string;
  customer_id: string;
  edition: 'cloud_saas' | 'on_premise';
  status: ContractStatus;
  start_date: string;
  end_date: string;
  term_months: number;
  signing_unit_id: string;
  am_user_id: string | null;
  agent_unit_id: string | null;
  price_plan_code: string | null;
  signed_at: string | null;
  declared_at: Date | null;
  activated_at: Date | null;
  cancel_effective_date: string | null;
  renewal_of: string | null;
  onprem_amount_vnd: number | null;
  notes: string | null;
  payment_schedule: unknown;
  declared_by: string | null;
  cancel_reason: string | null;
  cancel_requested_on: string | null;
  renewed_by_contract_id: string | null;
  renewal_declined_at: Date | null;
  delivery_channel: 'email' | 'letter' | null;
  created_at: Date;
  updated_at: Date;
}

/** Dates come back as `YYYY-MM-DD` text: a JS Date at "local midnight" would depend on the server's zone. */
export const CONTRACT_COLUMNS = `c.id, c.customer_id, c.edition, c.status,
  to_char(c.start_date, 'YYYY-MM-DD') AS start_date, to_char(c.end_date, 'YYYY-MM-DD') AS end_date,
  c.term_months, c.signing_unit_id, c.am_user_id, c.agent_unit_id, c.price_plan_code,
  to_char(c.signed_at, 'YYYY-MM-DD') AS signed_at, c.declared_at, c.activated_at,
  to_char(c.cancel_effective_date, 'YYYY-MM-DD') AS cancel_effective_date, c.renewal_of, c.onprem_amount_vnd,
  c.notes, c.payment_schedule, c.declared_by, c.cancel_reason,
  to_char(c.cancel_requested_on, 'YYYY-MM-DD') AS cancel_requested_on, c.renewed_by_contract_id,
  c.renewal_declined_at, c.delivery_channel, c.created_at, c.updated_at`;

export async function findContract(db: Db, id: string, scope?: Scope): Promise<ContractRow | undefined> {
  const params: SqlParam[] = [id];
  const scoped = scope ? ` AND ${customerScopeSql(scope, 'c.customer_id', params)}` : '';
  const [row] = await db.query<ContractRow>(
    `SELECT ${CONTRACT_COLUMNS} FROM contracts c WHERE c.id = $1${scoped}`,
    params,
  );
  return row;
}

export async function lockContract(tx: Db, id: string): Promise<ContractRow | undefined> {
  const [row] = await tx.query<ContractRow>(
    `SELECT ${CONTRACT_COLUMNS} FROM contracts c WHERE c.id = $1 FOR UPDATE`,
    [id],
  );
  return row;
}

export function listContracts(
  db: Db,
  scope: Scope,
  filter: {
    customerId?: string;
    status?: string;
    /** In force, not renewed yet, ending between these local dates (inclusive); soonest end first. */
    endingBetween?: { from: string; to: string };
    limit: number;
    offset?: number;
  },
): Promise<ContractRow[]> {
  const params: SqlParam[] = [];
  const where = [customerScopeSql(scope, 'c.customer_id', params)];
  if (filter.customerId) where.push(`c.customer_id = $${params.push(filter.customerId)}`);
  if (filter.status) where.push(`c.status = $${params.push(filter.status)}`);
  const ending = filter.endingBetween;
  if (ending) {
    // The same candidates the daily renewal reminders pick (contracts.service.ts runDaily).
    where.push(`c.status IN ('active', 'expiring') AND c.renewed_by_contract_id IS NULL`);
    where.push(`c.end_date BETWEEN $${params.push(ending.from)}::date AND $${params.push(ending.to)}::date`);
  }
  params.push(filter.limit, filter.offset ?? 0);
  return db.query<ContractRow>(
    `SELECT ${CONTRACT_COLUMNS} FROM contracts c WHERE ${where.join(' AND ')}
     ORDER BY ${ending ? 'c.end_date, ' : ''}c.created_at DESC, c.id
     LIMIT $${params.length - 1} OFFSET $${params.length}`,
    params,
  );
}

export interface TaskRow {
  id: string;
  kind: string;
  contract_id: string | null;
  customer_id: string | null;
  assignee: 'operator' | 'unit';
  unit_id: string | null;
  status: 'open' | 'done' | 'cancelled';
  due_at: Date;
  created_at: Date;
  done_at: Date | null;
  done_by: string | null;
  escalated_at: Date | null;
}

export interface EventRow {
  id: number;
  contract_id: string;
  at: Date;
  actor_type: string;
  actor_id: string | null;
  event: string;
  from_status: string | null;
  to_status: string | null;
  reason: string | null;
  details: Record<string, unknown>;
}

export function listEvents(db: Db, contractId: string): Promise<EventRow[]> {
  return db.query<EventRow>('SELECT * FROM contract_events WHERE contract_id = $1 ORDER BY id', [contractId]);
}

/**
 * Tasks visible to a user: operators and admins all; a unit its own unit tasks and those of the
 * contracts of its customers (scope).
 */
export function listTasks(
  db: Db,
  scope: Scope,
  filter: { status?: string; overdueAt?: Date; unitId?: string | null; limit: number; offset?: number },
): Promise<TaskRow[]> {
  const params: SqlParam[] = [];
  const where: string[] = [];
  if (scope.kind !== 'all') {
    const own = filter.unitId ? `t.unit_id = $${params.push(filter.unitId)}` : 'FALSE';
    where.push(`(${own} OR ${customerScopeSql(scope, 't.customer_id', params)})`);
  }
  if (filter.status) where.push(`t.status = $${params.push(filter.status)}`);
  if (filter.overdueAt) where.push(`t.status = 'open' AND t.due_at < $${params.push(filter.overdueAt)}`);
  params.push(filter.limit, filter.offset ?? 0);
  return db.query<TaskRow>(
    `SELECT t.* FROM tasks t ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
     ORDER BY t.due_at, t.id LIMIT $${params.length - 1} OFFSET $${params.length}`,
    params,
  );
}

/** Emails of a unit: its shared address, else its active staff. */
export async function unitEmails(db: Db, unitId: string): Promise<string[]> {
  const [unit] = await db.query<{ email: string | null }>('SELECT email FROM units WHERE id = $1', [unitId]);
  if (unit?.email) return [unit.email];
  const rows = await db.query<{ email: string }>(
    `SELECT email FROM users WHERE unit_id = $1 AND active AND role IN ('unit_user', 'agent_user') ORDER BY email`,
    [unitId],
  );
  return rows.map((r) => r.email);
}

/** Who hears about a late step: the unit's manager (when set) and every admin. */
export async function escalationEmails(db: Db, unitId: string | null): Promise<string[]> {
  const rows = await db.query<{ email: string }>(
    `SELECT email FROM users WHERE active AND (role = 'admin'
       OR id = (SELECT manager_user_id FROM units WHERE id = $1)) ORDER BY email`,
    [unitId],
  );
  return [...new Set(rows.map((r) => r.email))];
}
