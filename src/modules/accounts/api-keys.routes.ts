import type { FastifyInstance, FastifyRequest } from 'fastify';
import { actorOf, currentScope } from '../../http/auth.ts';
import type { AppContext } from '../../http/context.ts';
import { httpError } from '../../http/errors.ts';
import { errorResponses, idParam } from '../../http/schemas.ts';
import { findCustomerInScope } from '../customers/customers.repo.ts';

const apiKeySchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    customer_id: { type: 'string' },
    name: { type: 'string' },
    prefix: { type: 'string' },
    created_at: { type: 'string' },
    last_used_at: { type: ['string', 'null'] },
    expires_at: { type: ['string', 'null'] },
    revoked_at: { type: ['string', 'null'] },
    replaced_by: { type: ['string', 'null'] },
    status: { type: 'string', enum: ['active', 'expiring', 'expired', 'revoked'] },
  },
} as const;

const issuedSchema = {
  type: 'object',
  description: 'The secret `key` is shown only in this answer; only its hash is stored.',
  properties: { key: { type: 'string' }, api_key: apiKeySchema, previous: apiKeySchema },
} as const;

/** Who manages keys: the customer's own admin, and MobiFone operators who provision accounts. */
const KEY_MANAGERS = ['admin', 'operator', 'customer_admin'] as const;

export async function apiKeyRoutes(app: FastifyInstance, ctx: AppContext) {
  const canSee = (req: FastifyRequest) => async (customerId: string) =>
    (await findCustomerInScope(ctx.db, currentScope(req), customerId)) !== undefined;

  async function assertCustomer(req: FastifyRequest, customerId: string) {
    if (!(await canSee(req)(customerId))) throw httpError('ERR_NOT_FOUND', 'Customer not found');
  }

  app.get<{ Params: { customerId: string } }>(
    '/api/customers/:customerId/api-keys',
    {
      preHandler: ctx.guards.user(...KEY_MANAGERS),
      schema: {
        tags: ['api-keys'],
        summary: "A customer's API keys (never the secrets)",
        params: idParam('customerId', 'cus'),
        response: {
          200: { type: 'object', properties: { items: { type: 'array', items: apiKeySchema } } },
          ...errorResponses('ERR_NOT_FOUND'),
        },
      },
    },
    async (req) => {
      await assertCustomer(req, req.params.customerId);
      return { items: await ctx.apiKeys.list(req.params.customerId) };
    },
  );

  app.post<{ Params: { customerId: string }; Body: { name: string } }>(
    '/api/customers/:customerId/api-keys',
    {
      preHandler: ctx.guards.user(...KEY_MANAGERS),
      schema: {
        tags: ['api-keys'],
        summary: 'Create an API key; the secret is returned once',
        params: idParam('customerId', 'cus'),
        body: {
          type: 'object',
          properties: { name: { type: 'string', minLength: 1, maxLength: 100 } },
          required: ['name'],
          additionalProperties: false,
        },
        response: { 201: issuedSchema, ...errorResponses('ERR_NOT_FOUND') },
      },
    },
    async (req, reply) => {
      await assertCustomer(req, req.params.customerId);
      const { key, apiKey } = await ctx.apiKeys.create(req.params.customerId, req.body.name, actorOf(req));
      return reply.code(201).send({ key, api_key: apiKey });
    },
  );

  app.post<{ Params: { keyId: string } }>(
    '/api/api-keys/:keyId/revoke',
    {
      preHandler: ctx.guards.user(...KEY_MANAGERS),
      schema: {
        tags: ['api-keys'],
        summary: 'Revoke a key at once',
        params: idParam('keyId', 'key'),
        response: { 200: apiKeySchema, ...errorResponses('ERR_NOT_FOUND') },
      },
    },
    async (req) => ctx.apiKeys.revoke(req.params.keyId, actorOf(req), canSee(req)),
  );

  app.post<{ Params: { keyId: string }; Body: { grace_hours?: number } | undefined }>(
    '/api/api-keys/:keyId/rotate',
    {
      preHandler: ctx.guards.user(...KEY_MANAGERS),
      schema: {
        tags: ['api-keys'],
        summary: 'Issue a replacement key; the old one works until the grace period ends',
        params: idParam('keyId', 'key'),
        body: {
          type: ['object', 'null'],
          properties: { grace_hours: { type: 'integer', minimum: 0, maximum: 2160 } },
          additionalProperties: false,
        },
        response: {
          201: issuedSchema,
          ...errorResponses('ERR_NOT_FOUND', 'ERR_CONFLICT'),
        },
      },
    },
    async (req, reply) => {
      const rotated = await ctx.apiKeys.rotate(
        req.params.keyId,
        actorOf(req),
        canSee(req),
        req.body?.grace_hours,
      );
      return reply.code(201).send({ key: rotated.key, api_key: rotated.apiKey, previous: rotated.previous });
    },
  );

  app.get(
    '/v1/me',
    {
      preHandler: ctx.guards.apiClient,
      schema: {
        tags: ['public'],
        summary: 'Check an API key: which customer and key it is',
        security: [{ bearerAuth: [] }],
        response: {
          200: {
            type: 'object',
            properties: { customer_id: { type: 'string' }, key_id: { type: 'string' } },
            examples: [{ customer_id: 'cus_demobank', key_id: 'key_0a1b2c3d4e5f6g7h8j9k' }],
          },
          ...errorResponses(),
        },
      },
    },
    async (req) => ({ customer_id: req.apiClient!.customerId, key_id: req.apiClient!.keyId }),
  );
}
