import type { Db } from '../../db/client.ts';
import type { Role } from './roles.ts';

/** A user as the admin screens see it: never the password hash. */
export interface UserListRow {
  id: string;
  email: string;
  full_name: string;
  role: Role;
  unit_id: string | null;
  customer_id: string | null;
  active: boolean;
  created_at: Date;
}

const COLS = 'id, email, full_name, role, unit_id, customer_id, active, created_at';

export async function listUsers(
  db: Db,
  filter: { role?: Role; unitId?: string; active?: boolean; limit: number; offset?: number },
): Promise<UserListRow[]> {
  const params: unknown[] = [];
  const where: string[] = [];
  if (filter.role) where.push(`role = $${params.push(filter.role)}`);
  if (filter.unitId) where.push(`unit_id = $${params.push(filter.unitId)}`);
  if (filter.active !== undefined) where.push(`active = $${params.push(filter.active)}`);
  params.push(filter.limit, filter.offset ?? 0);
  return db.query<UserListRow>(
    `SELECT ${COLS} FROM users ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
     ORDER BY lower(email), id LIMIT $${params.length - 1} OFFSET $${params.length}`,
    params as string[],
  );
}

export async function findUser(db: Db, id: string, forUpdate = false): Promise<UserListRow | undefined> {
  const [row] = await db.query<UserListRow>(
    `SELECT ${COLS} FROM users WHERE id = $1${forUpdate ? ' FOR UPDATE' : ''}`,
    [id],
  );
  return row;
}

export async function findUnitKind(
  db: Db,
  unitId: string,
): Promise<{ kind: string; active: boolean } | undefined> {
  const [row] = await db.query<{ kind: string; active: boolean }>(
    'SELECT kind, active FROM units WHERE id = $1',
    [unitId],
  );
  return row;
}

export async function insertUser(
  db: Db,
  u: { id: string; email: string; fullName: string; passwordHash: string; role: Role; unitId: string | null },
): Promise<UserListRow> {
  const [row] = await db.query<UserListRow>(
    `INSERT INTO users (id, email, full_name, password_hash, role, unit_id, must_change_password)
     VALUES ($1, $2, $3, $4, $5, $6, true)
     RETURNING ${COLS}`,
    [u.id, u.email, u.fullName, u.passwordHash, u.role, u.unitId],
  );
  return row!;
}

export async function updateUser(
  db: Db,
  id: string,
  u: { role: Role; unitId: string | null; active: boolean },
): Promise<UserListRow> {
  const [row] = await db.query<UserListRow>(
    `UPDATE users SET role = $2, unit_id = $3, active = $4 WHERE id = $1 RETURNING ${COLS}`,
    [id, u.role, u.unitId, u.active],
  );
  return row!;
}

/** Locks every active admin row, so two admins demoting each other cannot both pass the last-admin check. */
export async function lockActiveAdmins(db: Db): Promise<string[]> {
  const rows = await db.query<{ id: string }>(
    `SELECT id FROM users WHERE role = 'admin' AND active FOR UPDATE`,
  );
  return rows.map((r) => r.id);
}

export async function deleteUserSessions(db: Db, userId: string): Promise<void> {
  await db.query('DELETE FROM user_sessions WHERE user_id = $1', [userId]);
}
