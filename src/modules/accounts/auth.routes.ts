import type { FastifyInstance } from 'fastify';
import { CSRF_COOKIE, currentUser, SESSION_COOKIE } from '../../http/auth.ts';
import type { AppContext } from '../../http/context.ts';
import { errorResponses } from '../../http/schemas.ts';

const userSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    email: { type: 'string' },
    full_name: { type: 'string' },
    role: { type: 'string' },
    unit_id: { type: ['string', 'null'] },
    customer_id: { type: ['string', 'null'] },
    must_change_password: {
      type: 'boolean',
      description:
        'true: every other /api call answers ERR_PASSWORD_CHANGE_REQUIRED until POST /api/auth/password',
    },
  },
} as const;

const present = (u: ReturnType<typeof currentUser>) => ({
  id: u.id,
  email: u.email,
  full_name: u.fullName,
  role: u.role,
  unit_id: u.unitId,
  customer_id: u.customerId,
  must_change_password: u.mustChangePassword,
});

export async function authRoutes(app: FastifyInstance, ctx: AppContext) {
  const cookieBase = { path: '/', sameSite: 'lax' as const, secure: ctx.config.cookieSecure };

  app.post<{ Body: { email: string; password: string } }>(
    '/api/auth/login',
    {
      schema: {
        tags: ['auth'],
        summary: 'Log in; sets the session cookie and returns the CSRF token for writes',
        body: {
          type: 'object',
          properties: {
            email: { type: 'string', minLength: 3, maxLength: 254 },
            password: { type: 'string', minLength: 1, maxLength: 256 },
          },
          required: ['email', 'password'],
          additionalProperties: false,
        },
        response: {
          200: {
            type: 'object',
            properties: { user: userSchema, csrf_token: { type: 'string' }, expires_at: { type: 'string' } },
          },
          ...errorResponses('ERR_INVALID_CREDENTIALS', 'ERR_TOO_MANY_ATTEMPTS'),
        },
      },
    },
    async (req, reply) => {
      const result = await ctx.auth.login({
        email: req.body.email,
        password: req.body.password,
        ip: req.ip,
        userAgent: req.headers['user-agent'] ?? null,
        requestId: req.id,
      });
      reply.setCookie(SESSION_COOKIE, result.token, {
        ...cookieBase,
        httpOnly: true,
        expires: result.expiresAt,
      });
      // Readable by our pages, which echo it in X-CSRF-Token (double submit); other sites cannot read it.
      reply.setCookie(CSRF_COOKIE, result.csrfToken, {
        ...cookieBase,
        httpOnly: false,
        expires: result.expiresAt,
      });
      return {
        user: present(result.user),
        csrf_token: result.csrfToken,
        expires_at: result.expiresAt.toISOString(),
      };
    },
  );

  app.post(
    '/api/auth/logout',
    {
      preHandler: ctx.guards.session,
      schema: {
        tags: ['auth'],
        summary: 'End the session',
        response: { 204: { type: 'null' }, ...errorResponses() },
      },
    },
    async (req, reply) => {
      const token = req.cookies[SESSION_COOKIE];
      if (token) await ctx.auth.logout(token);
      reply.clearCookie(SESSION_COOKIE, { path: '/' }).clearCookie(CSRF_COOKIE, { path: '/' });
      return reply.code(204).send();
    },
  );

  app.get(
    '/api/auth/me',
    {
      preHandler: ctx.guards.session,
      schema: {
        tags: ['auth'],
        summary: 'The logged-in user',
        response: { 200: userSchema, ...errorResponses() },
      },
    },
    async (req) => present(currentUser(req)),
  );

  app.post<{ Body: { current_password: string; new_password: string } }>(
    '/api/auth/password',
    {
      preHandler: ctx.guards.session,
      schema: {
        tags: ['auth'],
        summary:
          'Change your password (required first after logging in with a temporary one); your other sessions end',
        body: {
          type: 'object',
          properties: {
            current_password: { type: 'string', minLength: 1, maxLength: 256 },
            new_password: { type: 'string', minLength: 1, maxLength: 256 },
          },
          required: ['current_password', 'new_password'],
          additionalProperties: false,
        },
        response: {
          200: userSchema,
          ...errorResponses('ERR_CURRENT_PASSWORD_WRONG', 'ERR_PASSWORD_WEAK', 'ERR_TOO_MANY_ATTEMPTS'),
        },
      },
    },
    async (req) => {
      const user = currentUser(req);
      await ctx.auth.changePassword({
        token: req.cookies[SESSION_COOKIE] ?? '',
        user,
        currentPassword: req.body.current_password,
        newPassword: req.body.new_password,
        ip: req.ip,
        requestId: req.id,
      });
      return present({ ...user, mustChangePassword: false });
    },
  );
}
