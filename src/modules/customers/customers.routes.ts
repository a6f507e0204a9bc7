import type { FastifyInstance } from 'fastify';
import { actorOf, currentScope, currentUser } from '../../http/auth.ts';
import type { AppContext } from '../../http/context.ts';
import { httpError } from '../../http/errors.ts';
import { errorResponses, idParam } from '../../http/schemas.ts';
import { unitRoutes } from '../units/units.routes.ts';
import { type CustomerRow, findCustomerInScope, listCustomers } from './customers.repo.ts';
import { type CustomerInput, createCustomerService } from './customers.service.ts';

const customerBody = {
  type: 'object',
  properties: {
    legal_name: { type: 'string', minLength: 1, maxLength: 300 },
    tax_code: { type: 'string', pattern: '^\\d{10}(-?\\d{3})?$' },
    segment: { type: 'string', enum: ['bank', 'finance', 'securities', 'insurance', 'other'] },
    managing_unit_id: { type: ['string', 'null'], maxLength: 60 },
    am_user_id: { type: ['string', 'null'], maxLength: 60 },
    contact_name: { type: ['string', 'null'], maxLength: 200 },
    contact_email: { anyOf: [{ type: 'string', format: 'email', maxLength: 200 }, { type: 'null' }] },
    contact_phone: { type: ['string', 'null'], pattern: '^\\+?[0-9 .-]{8,20}$' },
    address: { type: ['string', 'null'], maxLength: 500 },
  },
  additionalProperties: false,
} as const;
const WRITERS = ['admin', 'unit_user', 'agent_user'] as const;

export const customerSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    legal_name: { type: 'string' },
    tax_code: { type: 'string' },
    segment: { type: 'string' },
    managing_unit_id: { type: ['string', 'null'] },
    am_user_id: { type: ['string', 'null'] },
    contact_name: { type: ['string', 'null'] },
    contact_email: { type: ['string', 'null'] },
    contact_phone: { type: ['string', 'null'] },
    address: { type: ['string', 'null'] },
    created_at: { type: 'string' },
  },
} as const;

const present = (c: CustomerRow) => ({ ...c, created_at: new Date(c.created_at).toISOString() });

export async function customerRoutes(app: FastifyInstance, ctx: AppContext) {
  const service = createCustomerService({ db: ctx.db, clock: ctx.clock });
  await unitRoutes(app, ctx);

  app.post<{ Body: CustomerInput }>(
    '/api/customers',
    {
      preHandler: ctx.guards.user(...WRITERS),
      schema: {
        tags: ['customers'],
        summary:
          "Register a customer (a unit's customers are managed by it; an admin may leave it unassigned)",
        body: { ...customerBody, required: ['legal_name', 'tax_code', 'segment'] },
        response: {
          201: customerSchema,
          ...errorResponses(
            'ERR_CLAIM_NOT_ALLOWED',
            'ERR_CLAIM_STATE',
            'ERR_CUSTOMER_EXISTS',
            'ERR_TAX_CODE_INVALID',
            'ERR_MANAGING_UNIT_INVALID',
          ),
        },
      },
    },
    async (req, reply) =>
      reply.code(201).send(present(await service.create(currentUser(req), actorOf(req), req.body))),
  );

  app.patch<{ Params: { customerId: string }; Body: Partial<CustomerInput> }>(
    '/api/customers/:customerId',
    {
      preHandler: ctx.guards.user(...WRITERS),
      schema: {
        tags: ['customers'],
        summary: 'Update a customer (reassigning the managing unit is for admins)',
        params: idParam('customerId', 'cus'),
        body: customerBody,
        response: {
          200: customerSchema,
          ...errorResponses(
            'ERR_NOT_FOUND',
            'ERR_FORBIDDEN',
            'ERR_CLAIM_NOT_ALLOWED',
            'ERR_CLAIM_STATE',
            'ERR_CUSTOMER_EXISTS',
            'ERR_TAX_CODE_INVALID',
            'ERR_MANAGING_UNIT_INVALID',
          ),
        },
      },
    },
    async (req) =>
      present(await service.update(currentUser(req), actorOf(req), req.params.customerId, req.body)),
  );

  app.post<{ Body: { tax_code: string; reason?: string } }>(
    '/api/customer-claims',
    {
      preHandler: ctx.guards.user('unit_user', 'agent_user'),
      schema: {
        tags: ['customers'],
        summary: 'Ask to manage an unassigned customer (by tax code); an admin approves',
        body: {
          type: 'object',
          properties: {
            tax_code: customerBody.properties.tax_code,
            reason: { type: 'string', maxLength: 1000 },
          },
          required: ['tax_code'],
          additionalProperties: false,
        },
        response: errorResponses('ERR_CLAIM_NOT_ALLOWED', 'ERR_CLAIM_STATE', 'ERR_CUSTOMER_EXISTS'),
      },
    },
    async (req, reply) =>
      reply
        .code(201)
        .send(await service.claim(currentUser(req), actorOf(req), req.body.tax_code, req.body.reason)),
  );

  app.get<{ Querystring: { status?: string } }>(
    '/api/customer-claims',
    {
      preHandler: ctx.guards.user('admin'),
      schema: {
        tags: ['customers'],
        summary: 'Claims to review',
        querystring: {
          type: 'object',
          properties: { status: { type: 'string', enum: ['pending', 'approved', 'rejected'] } },
          additionalProperties: false,
        },
        response: errorResponses(),
      },
    },
    async (req) => ({ items: await service.listClaims(req.query.status) }),
  );

  app.post<{ Params: { claimId: string }; Body: { approve: boolean } }>(
    '/api/customer-claims/:claimId/decision',
    {
      preHandler: ctx.guards.user('admin'),
      schema: {
        tags: ['customers'],
        summary: 'Approve or reject a claim',
        params: idParam('claimId', 'clm'),
        body: {
          type: 'object',
          properties: { approve: { type: 'boolean' } },
          required: ['approve'],
          additionalProperties: false,
        },
        response: errorResponses(
          'ERR_NOT_FOUND',
          'ERR_CLAIM_NOT_ALLOWED',
          'ERR_CLAIM_STATE',
          'ERR_CUSTOMER_EXISTS',
        ),
      },
    },
    async (req) => service.decideClaim(actorOf(req), req.params.claimId, req.body.approve),
  );
  app.get<{ Querystring: { q?: string; limit?: number } }>(
    '/api/customers',
    {
      preHandler: ctx.guards.user(),
      schema: {
        tags: ['customers'],
        summary: 'Customers you may see (by name, tax code or phone)',
        querystring: {
          type: 'object',
          properties: {
            q: { type: 'string', maxLength: 100 },
            limit: { type: 'integer', minimum: 1, maximum: 500, default: 100 },
          },
          additionalProperties: false,
        },
        response: {
          200: { type: 'object', properties: { items: { type: 'array', items: customerSchema } } },
          ...errorResponses(),
        },
      },
    },
    async (req) => {
      const rows = await listCustomers(ctx.db, currentScope(req), {
        q: req.query.q,
        limit: req.query.limit ?? 100,
      });
      return { items: rows.map(present) };
    },
  );

  app.get<{ Params: { customerId: string } }>(
    '/api/customers/:customerId',
    {
      preHandler: ctx.guards.user(),
      schema: {
        tags: ['customers'],
        summary: 'One customer (404 outside your scope)',
        params: idParam('customerId', 'cus'),
        response: { 200: customerSchema, ...errorResponses('ERR_NOT_FOUND') },
      },
    },
    async (req) => {
      const row = await findCustomerInScope(ctx.db, currentScope(req), req.params.customerId);
      // Outside the scope looks the same as missing: ids must not reveal which customers exist.
      if (!row) throw httpError('ERR_NOT_FOUND', 'Customer not found');
      return present(row);
    },
  );
}
