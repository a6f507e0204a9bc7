import type { Db } from '../../db/client.ts';
import type { Role, SessionUser } from './roles.ts';

export interface UserRow {
  id: string;
  email: string;
  full_name: string;
  password_hash: string;
  role: Role;
  unit_id: string | null;
  customer_id: string | null;
  active: boolean;
  must_change_password: boolean;
}

export function toSessionUser(row: UserRow): SessionUser {
  return {
    id: row.id,
    email: row.email,
    fullName: row.full_name,
    role: row.role,
    unitId: row.unit_id,
    customerId: row.customer_id,
    mustChangePassword: row.must_change_password,
  };
}

export async function findUserByEmail(db: Db, email: string): Promise<UserRow | undefined> {
  const [row] = await db.query<UserRow>('SELECT * FROM users WHERE lower(email) = lower($1)', [email]);
  return row;
}

export async function insertSession(
  db: Db,
  s: {
    tokenHash: string;
    userId: string;
    csrfToken: string;
    expiresAt: Date;
    ip: string;
    userAgent: string | null;
  },
): Promise<void> {
  await db.query(
    `INSERT INTO user_sessions (token_hash, user_id, csrf_token, expires_at, ip, user_agent)
     VALUES ($1, $2, $3, $4, $5, $6)`,
    [s.tokenHash, s.userId, s.csrfToken, s.expiresAt, s.ip, s.userAgent],
  );
}

export async function findLiveSession(
  db: Db,
  tokenHash: string,
  now: Date,
): Promise<(UserRow & { csrf_token: string }) | undefined> {
  const [row] = await db.query<UserRow & { csrf_token: string }>(
    `SELECT u.*, s.csrf_token FROM user_sessions s JOIN users u ON u.id = s.user_id
     WHERE s.token_hash = $1 AND s.expires_at > $2 AND u.active`,
    [tokenHash, now],
  );
  return row;
}

export async function deleteSession(db: Db, tokenHash: string): Promise<void> {
  await db.query('DELETE FROM user_sessions WHERE token_hash = $1', [tokenHash]);
}

export async function loginFailures(
  db: Db,
  key: string,
): Promise<{ failures: number; window_started_at: Date } | undefined> {
  const [row] = await db.query<{ failures: number; window_started_at: Date }>(
    'SELECT failures, window_started_at FROM login_failures WHERE key = $1',
    [key],
  );
  return row;
}

/** Counts a failure, starting a new window when the old one has passed. */
export async function addLoginFailure(db: Db, key: string, now: Date, windowStart: Date): Promise<void> {
  await db.query(
    `INSERT INTO login_failures (key, failures, window_started_at) VALUES ($1, 1, $2)
     ON CONFLICT (key) DO UPDATE SET
       failures = CASE WHEN login_failures.window_started_at < $3 THEN 1 ELSE login_failures.failures + 1 END,
       window_started_at = CASE WHEN login_failures.window_started_at < $3 THEN $2 ELSE login_failures.window_started_at END`,
    [key, now, windowStart],
  );
}

export async function clearLoginFailures(db: Db, key: string): Promise<void> {
  await db.query('DELETE FROM login_failures WHERE key = $1', [key]);
}

/** Sets a new password chosen by its owner and ends the user's other sessions. */
export async function replacePassword(
  db: Db,
  userId: string,
  passwordHash: string,
  keepSessionHash: string,
): Promise<void> {
  await db.query('UPDATE users SET password_hash = $2, must_change_password = false WHERE id = $1', [
    userId,
    passwordHash,
  ]);
  await db.query('DELETE FROM user_sessions WHERE user_id = $1 AND token_hash <> $2', [
    userId,
    keepSessionHash,
  ]);
}
