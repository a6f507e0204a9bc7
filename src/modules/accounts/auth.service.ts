import type { Config } from '../../config.ts';
import type { Db } from '../../db/client.ts';
import { defineErrors, httpError } from '../../http/errors.ts';
import type { Clock } from '../../lib/clock.ts';
import { sha256Hex } from '../../lib/hash.ts';
import { randomToken } from '../../lib/ids.ts';
import { recordAudit } from '../audit/audit.ts';
import { DUMMY_HASH, hashPassword, verifyPassword } from './passwords.ts';
import type { SessionUser } from './roles.ts';
import * as users from './users.repo.ts';

export const passwordError = defineErrors({
  ERR_PASSWORD_CHANGE_REQUIRED: {
    status: 403,
    title: 'Change the temporary password first (POST /api/auth/password)',
  },
  ERR_CURRENT_PASSWORD_WRONG: { status: 400, title: 'The current password is wrong' },
  ERR_PASSWORD_WEAK: {
    status: 400,
    title:
      'The new password needs at least 10 characters with letters and digits, and must differ from the current one and the email',
  },
});

/** Why `password` is refused as a new password, or null when it is acceptable. */
export function weakPasswordReason(password: string, email: string, current: string): string | null {
  if (password.length < 10) return 'at least 10 characters';
  if (!/\p{L}/u.test(password) || !/\d/.test(password)) return 'letters and digits';
  if (password === current) return 'not the current password';
  const local = email.split('@')[0]!.toLowerCase();
  if (local.length >= 4 && password.toLowerCase().includes(local)) return 'not containing the email';
  return null;
}

export interface LoginResult {
  token: string;
  csrfToken: string;
  expiresAt: Date;
  user: SessionUser;
}

export function createAuthService(deps: {
  db: Db;
  clock: Clock;
  config: Pick<Config, 'sessionTtlHours' | 'loginMaxFailures' | 'loginWindowMinutes'>;
}) {
  const { db, clock, config } = deps;
  const windowMs = config.loginWindowMinutes * 60_000;
  // Per address the limit is wider: many people may share one office NAT.
  const limits = (email: string, ip: string) => [
    { key: `acct:${email.toLowerCase()}|${ip}`, max: config.loginMaxFailures },
    { key: `ip:${ip}`, max: config.loginMaxFailures * 10 },
  ];

  async function assertNotThrottled(email: string, ip: string, now: Date) {
    for (const { key, max } of limits(email, ip)) {
      const row = await users.loginFailures(db, key);
      if (!row) continue;
      const windowEnd = row.window_started_at.getTime() + windowMs;
      if (row.failures >= max && windowEnd > now.getTime()) {
        const retryAfter = Math.ceil((windowEnd - now.getTime()) / 1000);
        throw httpError('ERR_TOO_MANY_ATTEMPTS', `Try again in ${retryAfter} s`, undefined, {
          'retry-after': String(retryAfter),
        });
      }
    }
  }

  return {
    async login(input: {
      email: string;
      password: string;
      ip: string;
      userAgent: string | null;
      requestId: string;
    }) {
      const now = clock.now();
      await assertNotThrottled(input.email, input.ip, now);
      const user = await users.findUserByEmail(db, input.email);
      const ok = await verifyPassword(user?.password_hash ?? DUMMY_HASH, input.password);
      if (!user || !ok || !user.active) {
        const windowStart = new Date(now.getTime() - windowMs);
        for (const { key } of limits(input.email, input.ip))
          await users.addLoginFailure(db, key, now, windowStart);
        throw httpError('ERR_INVALID_CREDENTIALS');
      }
      await users.clearLoginFailures(db, limits(input.email, input.ip)[0]!.key);
      const token = randomToken(32);
      const csrfToken = randomToken(24);
      const expiresAt = new Date(now.getTime() + config.sessionTtlHours * 3_600_000);
      await db.transaction(async (tx) => {
        await users.insertSession(tx, {
          tokenHash: sha256Hex(token),
          userId: user.id,
          csrfToken,
          expiresAt,
          ip: input.ip,
          userAgent: input.userAgent,
        });
        await recordAudit(
          tx,
          { type: 'user', id: user.id, ip: input.ip, requestId: input.requestId },
          { action: 'auth.login', entityType: 'user', entityId: user.id },
        );
      });
      return { token, csrfToken, expiresAt, user: users.toSessionUser(user) } satisfies LoginResult;
    },

    async sessionFromToken(token: string): Promise<{ user: SessionUser; csrfToken: string } | undefined> {
      const row = await users.findLiveSession(db, sha256Hex(token), clock.now());
      return row ? { user: users.toSessionUser(row), csrfToken: row.csrf_token } : undefined;
    },

    /**
     * The owner replaces their password (a handed-over temporary one, or any time). A wrong current
     * password counts as a failed login, so this is no way around the login throttle. Other sessions end.
     */
    async changePassword(input: {
      token: string;
      user: SessionUser;
      currentPassword: string;
      newPassword: string;
      ip: string;
      requestId: string;
    }): Promise<void> {
      const now = clock.now();
      const { email, id } = input.user;
      await assertNotThrottled(email, input.ip, now);
      const row = await users.findUserByEmail(db, email);
      if (!row || !(await verifyPassword(row.password_hash, input.currentPassword))) {
        const windowStart = new Date(now.getTime() - windowMs);
        for (const { key } of limits(email, input.ip)) await users.addLoginFailure(db, key, now, windowStart);
        throw passwordError('ERR_CURRENT_PASSWORD_WRONG');
      }
      const weak = weakPasswordReason(input.newPassword, email, input.currentPassword);
      if (weak) throw passwordError('ERR_PASSWORD_WEAK', `The new password needs: ${weak}`);
      const passwordHash = await hashPassword(input.newPassword);
      await db.transaction(async (tx) => {
        await users.replacePassword(tx, id, passwordHash, sha256Hex(input.token));
        await recordAudit(
          tx,
          { type: 'user', id, ip: input.ip, requestId: input.requestId },
          {
            action: 'auth.password_change',
            entityType: 'user',
            entityId: id,
            details: { was_temporary: input.user.mustChangePassword },
          },
        );
      });
    },

    async logout(token: string): Promise<void> {
      await users.deleteSession(db, sha256Hex(token));
    },
  };
}

export type AuthService = ReturnType<typeof createAuthService>;
