import type { FastifyInstance } from 'fastify';
import { actorOf } from '../../http/auth.ts';
import type { AppContext } from '../../http/context.ts';
import { errorResponses, idParam, listOf } from '../../http/schemas.ts';
import { ROLES, type Role } from './roles.ts';
import { createUserService, STAFF_USER_ROLES, type StaffRole } from './users.service.ts';

const userSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    email: { type: 'string' },
    full_name: { type: 'string' },
    role: { type: 'string', enum: [...ROLES] },
    unit_id: { type: ['string', 'null'] },
    customer_id: { type: ['string', 'null'] },
    active: { type: 'boolean' },
    created_at: { type: 'string' },
  },
  examples: [
    {
      id: 'usr_0a1b2c3d4e5f6g7h8j9k',
      email: 'ctkv2@mobifone.vn',
      full_name: 'Cán bộ CTKV 2',
      role: 'unit_user',
      unit_id: 'unt_ctkv2',
      customer_id: null,
      active: true,
      created_at: '2026-11-24T03:00:00.000Z',
    },
  ],
} as const;

const unitIdSchema = { type: ['string', 'null'], pattern: '^unt_[0-9a-z]{1,40}$' } as const;

/** Admin: staff users, their role and unit, and disabling them. Every change is audited. */
export async function userRoutes(app: FastifyInstance, ctx: AppContext) {
  const users = createUserService({ db: ctx.db });

  app.get<{
    Querystring: { role?: Role; unit_id?: string; active?: boolean; limit?: number; offset?: number };
  }>(
    '/api/users',
    {
      preHandler: ctx.guards.user('admin'),
      schema: {
        tags: ['users'],
        summary: 'Admin: users, by email, filtered by role, unit or active',
        querystring: {
          type: 'object',
          properties: {
            role: { type: 'string', enum: [...ROLES] },
            unit_id: { type: 'string', pattern: '^unt_[0-9a-z]{1,40}$' },
            active: { type: 'boolean' },
            limit: { type: 'integer', minimum: 1, maximum: 500, default: 100 },
            offset: { type: 'integer', minimum: 0, default: 0 },
          },
          additionalProperties: false,
        },
        response: { 200: listOf(userSchema), ...errorResponses() },
      },
    },
    async (req) => ({
      items: await users.list({
        role: req.query.role,
        unitId: req.query.unit_id,
        active: req.query.active,
        limit: req.query.limit ?? 100,
        offset: req.query.offset ?? 0,
      }),
    }),
  );

  app.post<{ Body: { email: string; full_name: string; role: StaffRole; unit_id?: string | null } }>(
    '/api/users',
    {
      preHandler: ctx.guards.user('admin'),
      schema: {
        tags: ['users'],
        summary: 'Admin: add a staff user; the temporary password is returned once',
        body: {
          type: 'object',
          properties: {
            email: { type: 'string', format: 'email', maxLength: 200 },
            full_name: { type: 'string', minLength: 1, maxLength: 200, pattern: '\\S' },
            role: { type: 'string', enum: [...STAFF_USER_ROLES] },
            unit_id: unitIdSchema,
          },
          required: ['email', 'full_name', 'role'],
          additionalProperties: false,
        },
        response: {
          201: {
            type: 'object',
            description: 'Give `temporary_password` to the user; only its hash is stored.',
            properties: { user: userSchema, temporary_password: { type: 'string' } },
          },
          ...errorResponses('ERR_EMAIL_TAKEN', 'ERR_USER_UNIT'),
        },
      },
    },
    async (req, reply) => {
      const { user, temporaryPassword } = await users.create(
        {
          email: req.body.email,
          fullName: req.body.full_name,
          role: req.body.role,
          unitId: req.body.unit_id ?? null,
        },
        actorOf(req),
      );
      return reply.code(201).send({ user, temporary_password: temporaryPassword });
    },
  );

  app.patch<{
    Params: { id: string };
    Body: { role?: StaffRole; unit_id?: string | null; active?: boolean };
  }>(
    '/api/users/:id',
    {
      preHandler: ctx.guards.user('admin'),
      schema: {
        tags: ['users'],
        summary:
          'Admin: change a role or unit, disable or enable (a new role without `unit_id` drops the unit)',
        params: idParam('id', 'usr'),
        body: {
          type: 'object',
          properties: {
            role: { type: 'string', enum: [...STAFF_USER_ROLES] },
            unit_id: unitIdSchema,
            active: { type: 'boolean' },
          },
          minProperties: 1,
          additionalProperties: false,
        },
        response: {
          200: userSchema,
          ...errorResponses(
            'ERR_NOT_FOUND',
            'ERR_BAD_REQUEST',
            'ERR_USER_UNIT',
            'ERR_USER_SELF',
            'ERR_LAST_ADMIN',
          ),
        },
      },
    },
    async (req) =>
      users.update(
        req.params.id,
        { role: req.body.role, unitId: req.body.unit_id, active: req.body.active },
        actorOf(req),
      ),
  );
}
