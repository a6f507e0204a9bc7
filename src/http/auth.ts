import type { FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import { safeEqual } from '../lib/hash.ts';
import type { ApiKeyService } from '../modules/accounts/api-keys.service.ts';
import { type AuthService, passwordError } from '../modules/accounts/auth.service.ts';
import type { Role, SessionUser } from '../modules/accounts/roles.ts';
import { type Scope, scopeOf } from '../modules/accounts/scope.ts';
import type { Actor } from '../modules/audit/audit.ts';
import { httpError } from './errors.ts';
import { answersWith } from './openapi.ts';

export const SESSION_COOKIE = 'ekyc_session';
export const CSRF_COOKIE = 'ekyc_csrf';
export const CSRF_HEADER = 'x-csrf-token';

declare module 'fastify' {
  interface FastifyRequest {
    user?: SessionUser;
    apiClient?: { keyId: string; customerId: string };
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export interface Guards {
  /**
   * Logged-in user with one of `roles` (any role when empty); checks CSRF on writes. A user who must
   * replace a handed-over password is refused until they have.
   */
  user(...roles: Role[]): preHandlerAsyncHookHandler;
  /** Any logged-in user, even one who must still change their password: who am I, log out, change it. */
  session: preHandlerAsyncHookHandler;
  /** A customer's back end calling with `Authorization: Bearer <key>`. */
  apiClient: preHandlerAsyncHookHandler;
}

export function createGuards(auth: AuthService, apiKeys: ApiKeyService): Guards {
  const authenticate = async (req: FastifyRequest): Promise<SessionUser> => {
    const token = req.cookies[SESSION_COOKIE];
    const session = token ? await auth.sessionFromToken(token) : undefined;
    if (!session) throw httpError('ERR_UNAUTHENTICATED');
    // Cookies ride along on cross-site requests; a write must also prove it came from our pages.
    if (!SAFE_METHODS.has(req.method)) {
      const sent = req.headers[CSRF_HEADER];
      if (typeof sent !== 'string' || !safeEqual(sent, session.csrfToken)) throw httpError('ERR_CSRF');
    }
    req.user = session.user;
    return session.user;
  };
  return {
    user(...roles) {
      const guard = async (req: FastifyRequest, _reply: FastifyReply) => {
        const user = await authenticate(req);
        if (user.mustChangePassword) throw passwordError('ERR_PASSWORD_CHANGE_REQUIRED');
        if (roles.length > 0 && !roles.includes(user.role)) throw httpError('ERR_FORBIDDEN');
      };
      return answersWith(
        guard,
        [
          'ERR_UNAUTHENTICATED',
          'ERR_PASSWORD_CHANGE_REQUIRED',
          ...(roles.length > 0 ? (['ERR_FORBIDDEN'] as const) : []),
        ],
        ['ERR_CSRF'],
      );
    },
    session: answersWith(
      async (req: FastifyRequest, _reply: FastifyReply) => {
        await authenticate(req);
      },
      ['ERR_UNAUTHENTICATED'],
      ['ERR_CSRF'],
    ),
    apiClient: answersWith(
      async (req: FastifyRequest) => {
        const header = req.headers.authorization;
        const match = typeof header === 'string' ? /^Bearer ([A-Za-z0-9_\-.]{1,200})$/.exec(header) : null;
        const client = match ? await apiKeys.authenticate(match[1]!) : undefined;
        if (!client) {
          throw httpError('ERR_INVALID_API_KEY', undefined, undefined, { 'www-authenticate': 'Bearer' });
        }
        req.apiClient = client;
      },
      ['ERR_INVALID_API_KEY', 'ERR_CONTRACT_INACTIVE'],
    ),
  };
}

export function currentUser(req: FastifyRequest): SessionUser {
  if (!req.user) throw httpError('ERR_UNAUTHENTICATED');
  return req.user;
}

export function currentScope(req: FastifyRequest): Scope {
  return scopeOf(currentUser(req));
}

export function actorOf(req: FastifyRequest): Actor {
  if (req.user) return { type: 'user', id: req.user.id, ip: req.ip, requestId: req.id };
  if (req.apiClient) return { type: 'api_key', id: req.apiClient.keyId, ip: req.ip, requestId: req.id };
  return { type: 'system', id: null, ip: req.ip, requestId: req.id };
}
