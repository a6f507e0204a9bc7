import type { Config } from '../../config.ts';
import type { Db } from '../../db/client.ts';
import { httpError } from '../../http/errors.ts';
import type { Clock } from '../../lib/clock.ts';
import { sha256Hex } from '../../lib/hash.ts';
import { randomToken } from '../../lib/ids.ts';
import { recordAudit } from '../audit/audit.ts';
import { DUMMY_HASH, verifyPassword } from './passwords.ts';
import type { SessionUser } from './roles.ts';
import * as users from './users.repo.ts';

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

    async logout(token: string): Promise<void> {
      await users.deleteSession(db, sha256Hex(token));
    },
  };
}

export type AuthService = ReturnType<typeof createAuthService>;
