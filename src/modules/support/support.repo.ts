import type { Db, SqlParam } from '../../db/client.ts';
import { customerScopeSql, type Scope } from '../accounts/scope.ts';
import type { SlaTarget } from './sla.ts';
import type { Channel, Priority, Queue, Status } from './workflow.ts';

export interface RequestRow {
  id: string;
  customer_id: string | null;
  queue: Queue;
  hotline: string;
  category: string;
  priority: Priority;
  channel: Channel;
  status: Status;
  subject: string;
  description: string;
  contact_name: string | null;
  contact_phone: string | null;
  contact_email: string | null;
  verification_session_id: string | null;
  email_message_id: string | null;
  assigned_to: string | null;
  created_by_type: string;
  created_by: string | null;
  reopen_count: number;
  satisfied: boolean | null;
  sales_lead_unit_id: string | null;
  callback_at: Date | null;
  callback_reminded_at: Date | null;
  received_at: Date;
  first_response_at: Date | null;
  first_response_ms: number | null;
  resolved_at: Date | null;
  resolution_ms: number | null;
  awaiting_review_since: Date | null;
  closed_at: Date | null;
  close_reason: string | null;
  sla_active_ms: number;
  sla_running_since: Date | null;
  first_response_due_at: Date | null;
  resolution_due_at: Date | null;
  first_response_breached_at: Date | null;
  resolution_breached_at: Date | null;
  updated_at: Date;
}

export interface EventRow {
  id: number;
  request_id: string;
  at: Date;
  actor_type: string;
  actor_id: string | null;
  kind: string;
  from_status: string | null;
  to_status: string | null;
  visibility: 'public' | 'internal';
  body: string | null;
  satisfied: boolean | null;
}

export interface AttachmentMeta {
  id: string;
  request_id: string;
  filename: string;
  content_type: string;
  size_bytes: number;
  sha256: string;
  visibility: 'public' | 'internal';
  uploaded_by_type: string;
  uploaded_by: string | null;
  created_at: Date;
}

const REQUEST_COLUMNS = new Set<keyof RequestRow>([
  'customer_id',
  'queue',
  'hotline',
  'priority',
  'category',
  'status',
  'assigned_to',
  'reopen_count',
  'satisfied',
  'sales_lead_unit_id',
  'callback_at',
  'callback_reminded_at',
  'first_response_at',
  'first_response_ms',
  'resolved_at',
  'resolution_ms',
  'awaiting_review_since',
  'closed_at',
  'close_reason',
  'sla_active_ms',
  'sla_running_since',
  'first_response_due_at',
  'resolution_due_at',
  'first_response_breached_at',
  'resolution_breached_at',
  'updated_at',
]);

export async function insertRequest(tx: Db, row: Omit<RequestRow, 'reopen_count'>): Promise<void> {
  const cols = Object.keys(row);
  await tx.query(
    `INSERT INTO support_requests (${cols.join(', ')}) VALUES (${cols.map((_, i) => `$${i + 1}`).join(', ')})`,
    Object.values(row) as SqlParam[],
  );
}

export async function updateRequest(tx: Db, id: string, fields: Partial<RequestRow>): Promise<void> {
  const params: SqlParam[] = [id];
  const sets: string[] = [];
  for (const [k, v] of Object.entries(fields)) {
    if (!REQUEST_COLUMNS.has(k as keyof RequestRow)) throw new Error(`not an updatable column: ${k}`);
    params.push(v as SqlParam);
    sets.push(`${k} = $${params.length}`);
  }
  if (sets.length) await tx.query(`UPDATE support_requests SET ${sets.join(', ')} WHERE id = $1`, params);
}

export async function lockRequest(tx: Db, id: string): Promise<RequestRow | undefined> {
  const [row] = await tx.query<RequestRow>('SELECT * FROM support_requests WHERE id = $1 FOR UPDATE', [id]);
  return row;
}

export interface Visibility {
  scope: Scope;
  /** Queues an agent works; null for all. */
  queues: Queue[] | null;
}

function visibleWhere(v: Visibility, params: SqlParam[]): string {
  // Requests without a known customer (an unidentified caller, an unknown sender) are the desk's own.
  const scope =
    v.scope.kind === 'all'
      ? 'TRUE'
      : `r.customer_id IS NOT NULL AND ${customerScopeSql(v.scope, 'r.customer_id', params)}`;
  if (!v.queues) return scope;
  params.push(v.queues);
  return `${scope} AND r.queue = ANY($${params.length}::text[])`;
}

export async function findVisible(db: Db, v: Visibility, id: string): Promise<RequestRow | undefined> {
  const params: SqlParam[] = [id];
  const [row] = await db.query<RequestRow>(
    `SELECT r.* FROM support_requests r WHERE r.id = $1 AND ${visibleWhere(v, params)}`,
    params,
  );
  return row;
}

export interface ListFilter {
  status?: Status;
  queue?: Queue;
  customerId?: string;
  limit: number;
  offset: number;
}

export async function listVisible(db: Db, v: Visibility, f: ListFilter): Promise<RequestRow[]> {
  const params: SqlParam[] = [];
  const where = [visibleWhere(v, params)];
  if (f.status) where.push(`r.status = $${params.push(f.status)}`);
  if (f.queue) where.push(`r.queue = $${params.push(f.queue)}`);
  if (f.customerId) where.push(`r.customer_id = $${params.push(f.customerId)}`);
  params.push(f.limit, f.offset);
  return db.query<RequestRow>(
    `SELECT r.* FROM support_requests r WHERE ${where.join(' AND ')}
     ORDER BY r.received_at DESC, r.id LIMIT $${params.length - 1} OFFSET $${params.length}`,
    params,
  );
}

export async function insertEvent(tx: Db, e: Omit<EventRow, 'id'>): Promise<void> {
  await tx.query(
    `INSERT INTO support_events (request_id, at, actor_type, actor_id, kind, from_status, to_status, visibility, body, satisfied)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
    [
      e.request_id,
      e.at,
      e.actor_type,
      e.actor_id,
      e.kind,
      e.from_status,
      e.to_status,
      e.visibility,
      e.body,
      e.satisfied,
    ],
  );
}

export function listEvents(db: Db, requestId: string, publicOnly: boolean): Promise<EventRow[]> {
  return db.query<EventRow>(
    `SELECT * FROM support_events WHERE request_id = $1 ${publicOnly ? "AND visibility = 'public'" : ''} ORDER BY id`,
    [requestId],
  );
}

export async function insertAttachment(tx: Db, a: AttachmentMeta & { bytes: Buffer }): Promise<void> {
  await tx.query(
    `INSERT INTO support_attachments (id, request_id, filename, content_type, size_bytes, sha256, bytes, visibility, uploaded_by_type, uploaded_by, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
    [
      a.id,
      a.request_id,
      a.filename,
      a.content_type,
      a.size_bytes,
      a.sha256,
      a.bytes,
      a.visibility,
      a.uploaded_by_type,
      a.uploaded_by,
      a.created_at,
    ],
  );
}

export function listAttachments(db: Db, requestId: string, publicOnly: boolean): Promise<AttachmentMeta[]> {
  return db.query<AttachmentMeta>(
    `SELECT id, request_id, filename, content_type, size_bytes, sha256, visibility, uploaded_by_type, uploaded_by, created_at
     FROM support_attachments WHERE request_id = $1 ${publicOnly ? "AND visibility = 'public'" : ''} ORDER BY created_at, id`,
    [requestId],
  );
}

export async function countAttachments(tx: Db, requestId: string): Promise<number> {
  const [row] = await tx.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM support_attachments WHERE request_id = $1',
    [requestId],
  );
  return row?.n ?? 0;
}

export async function attachmentBytes(
  db: Db,
  requestId: string,
  id: string,
): Promise<(AttachmentMeta & { bytes: Uint8Array }) | undefined> {
  const [row] = await db.query<AttachmentMeta & { bytes: Uint8Array }>(
    'SELECT * FROM support_attachments WHERE request_id = $1 AND id = $2',
    [requestId, id],
  );
  return row;
}

export async function slaTargets(db: Db): Promise<SlaTarget[]> {
  const rows = await db.query<{
    queue: Queue;
    priority: Priority;
    first_response_hours: string | number;
    resolution_hours: string | number;
  }>('SELECT * FROM support_sla_targets ORDER BY queue, priority');
  return rows.map((r) => ({
    queue: r.queue,
    priority: r.priority,
    firstResponseHours: Number(r.first_response_hours),
    resolutionHours: Number(r.resolution_hours),
  }));
}

export async function upsertSlaTarget(tx: Db, t: SlaTarget): Promise<void> {
  await tx.query(
    `INSERT INTO support_sla_targets (queue, priority, first_response_hours, resolution_hours) VALUES ($1, $2, $3, $4)
     ON CONFLICT (queue, priority) DO UPDATE SET first_response_hours = EXCLUDED.first_response_hours,
       resolution_hours = EXCLUDED.resolution_hours`,
    [t.queue, t.priority, t.firstResponseHours, t.resolutionHours],
  );
}

export interface SupportSettings {
  autoCloseWorkingDays: number;
  callbackReminderMinutes: number;
  escalationEmail: string;
}

export async function loadSettings(db: Db): Promise<SupportSettings> {
  const rows = await db.query<{ key: string; value: unknown }>('SELECT key, value FROM support_settings');
  const m = new Map(rows.map((r) => [r.key, r.value]));
  return {
    autoCloseWorkingDays: Number(m.get('auto_close_working_days') ?? 3),
    callbackReminderMinutes: Number(m.get('callback_reminder_minutes') ?? 30),
    escalationEmail: String(m.get('escalation_email') ?? 'support-lead@ekyc.local'),
  };
}

export async function saveSettings(tx: Db, s: Partial<SupportSettings>): Promise<void> {
  const pairs: Array<[string, unknown]> = [];
  if (s.autoCloseWorkingDays !== undefined) pairs.push(['auto_close_working_days', s.autoCloseWorkingDays]);
  if (s.callbackReminderMinutes !== undefined)
    pairs.push(['callback_reminder_minutes', s.callbackReminderMinutes]);
  if (s.escalationEmail !== undefined) pairs.push(['escalation_email', s.escalationEmail]);
  for (const [key, value] of pairs) {
    await tx.query(
      `INSERT INTO support_settings (key, value) VALUES ($1, $2::jsonb) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`,
      [key, JSON.stringify(value)],
    );
  }
}

export async function agentQueues(db: Db, userId: string): Promise<Queue[] | null> {
  const rows = await db.query<{ queue: Queue }>(
    'SELECT queue FROM support_agent_queues WHERE user_id = $1 ORDER BY queue',
    [userId],
  );
  return rows.length ? rows.map((r) => r.queue) : null;
}

export async function setAgentQueues(tx: Db, userId: string, queues: Queue[]): Promise<void> {
  await tx.query('DELETE FROM support_agent_queues WHERE user_id = $1', [userId]);
  for (const q of queues) {
    await tx.query('INSERT INTO support_agent_queues (user_id, queue) VALUES ($1, $2)', [userId, q]);
  }
}

export async function customerById(
  db: Db,
  id: string,
): Promise<{ id: string; managing_unit_id: string | null; contact_email: string | null } | undefined> {
  const [row] = await db.query<{ id: string; managing_unit_id: string | null; contact_email: string | null }>(
    'SELECT id, managing_unit_id, contact_email FROM customers WHERE id = $1',
    [id],
  );
  return row;
}

/** The customer an email sender belongs to: a customer admin's login, else the customer's contact email. */
export async function customerByEmail(db: Db, email: string): Promise<string | null> {
  const [user] = await db.query<{ customer_id: string }>(
    `SELECT customer_id FROM users WHERE lower(email) = lower($1) AND role = 'customer_admin' AND active`,
    [email],
  );
  if (user) return user.customer_id;
  const rows = await db.query<{ id: string }>(
    'SELECT id FROM customers WHERE lower(contact_email) = lower($1) LIMIT 2',
    [email],
  );
  return rows.length === 1 ? rows[0]!.id : null;
}

export async function userEmail(db: Db, userId: string): Promise<string | null> {
  const [row] = await db.query<{ email: string }>('SELECT email FROM users WHERE id = $1 AND active', [
    userId,
  ]);
  return row?.email ?? null;
}

export async function userRole(db: Db, userId: string): Promise<string | null> {
  const [row] = await db.query<{ role: string }>('SELECT role FROM users WHERE id = $1', [userId]);
  return row?.role ?? null;
}

export async function leadUnit(
  db: Db,
  customerId: string | null,
): Promise<{ id: string; email: string | null } | undefined> {
  const rows = await db.query<{ id: string; email: string | null }>(
    customerId
      ? `SELECT u.id, u.email FROM customers c JOIN units u ON u.id = c.managing_unit_id WHERE c.id = $1`
      : `SELECT id, email FROM units WHERE kind = 'it_center' AND active ORDER BY id LIMIT 1`,
    customerId ? [customerId] : [],
  );
  if (rows[0]) return rows[0];
  if (customerId) return leadUnit(db, null);
  return undefined;
}

export async function unitUserEmails(db: Db, unitId: string): Promise<string[]> {
  const rows = await db.query<{ email: string }>(
    `SELECT email FROM users WHERE unit_id = $1 AND active AND role IN ('unit_user', 'agent_user') ORDER BY email`,
    [unitId],
  );
  return rows.map((r) => r.email);
}
