import type { FastifyInstance } from 'fastify';
import { currentScope } from '../../http/auth.ts';
import type { AppContext } from '../../http/context.ts';
import { httpError } from '../../http/errors.ts';
import { errorResponses, idParam } from '../../http/schemas.ts';
import { type CustomerRow, findCustomerInScope, listCustomers } from './customers.repo.ts';

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
    created_at: { type: 'string' },
  },
} as const;

const present = (c: CustomerRow) => ({ ...c, created_at: c.created_at.toISOString() });

export async function customerRoutes(app: FastifyInstance, ctx: AppContext) {
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
          ...errorResponses(401),
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
        response: { 200: customerSchema, ...errorResponses(401, 404) },
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
