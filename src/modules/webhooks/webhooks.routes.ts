import type { FastifyInstance, FastifyRequest } from 'fastify';
import { currentUser } from '../../http/auth.ts';
import type { AppContext } from '../../http/context.ts';
import { errorResponses, idParam, listOf } from '../../http/schemas.ts';
import { WEBHOOK_EVENTS, type WebhookService, webhookError } from './webhooks.service.ts';

const endpointSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    url: { type: 'string' },
    events: { type: 'array', items: { type: 'string' } },
    enabled: { type: 'boolean' },
    disabled_at: { type: ['string', 'null'] },
    disabled_reason: { type: ['string', 'null'] },
    secret_rotating_until: {
      type: ['string', 'null'],
      description: 'Until then deliveries carry two signatures',
    },
    created_at: { type: 'string' },
  },
  examples: [
    {
      id: 'whe_0a1b2c3d4e5f6g7h8j9k',
      url: 'https://bank.example.vn/hooks/ekyc',
      events: ['session.completed', 'session.review_decided', 'session.expired'],
      enabled: true,
      disabled_at: null,
      disabled_reason: null,
      secret_rotating_until: null,
      created_at: '2026-11-24T03:00:00.000Z',
    },
  ],
} as const;
const withSecret = {
  type: 'object',
  description: 'The signing `secret` is shown only in this answer.',
  properties: { endpoint: endpointSchema, secret: { type: 'string' } },
  examples: [{ endpoint: endpointSchema.examples[0], secret: 'whsec_5k2Jx9QmV7tR1bN8cL4pZ6wY3hF0dG2s' }],
} as const;
const deliverySchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    event_id: { type: 'string' },
    event_type: { type: 'string' },
    status: { type: 'string', enum: ['pending', 'delivering', 'delivered', 'failed'] },
    attempts: { type: 'integer' },
    next_attempt_at: { type: ['string', 'null'] },
    last_status_code: { type: ['integer', 'null'] },
    last_error: { type: ['string', 'null'] },
    created_at: { type: 'string' },
    delivered_at: { type: ['string', 'null'] },
    log: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          at: { type: 'string' },
          status_code: { type: ['integer', 'null'] },
          error: { type: ['string', 'null'] },
          duration_ms: { type: 'integer' },
        },
      },
    },
  },
  examples: [
    {
      id: 'whd_0a1b2c3d4e5f6g7h8j9k',
      event_id: 'evt_0a1b2c3d4e5f6g7h8j9k',
      event_type: 'session.completed',
      status: 'delivered',
      attempts: 2,
      next_attempt_at: null,
      last_status_code: 200,
      last_error: null,
      created_at: '2026-11-24T03:02:41.000Z',
      delivered_at: '2026-11-24T03:03:45.000Z',
      log: [
        { at: '2026-11-24T03:02:41.000Z', status_code: 503, error: null, duration_ms: 84 },
        { at: '2026-11-24T03:03:45.000Z', status_code: 200, error: null, duration_ms: 61 },
      ],
    },
  ],
} as const;
const events = {
  type: 'array',
  minItems: 1,
  uniqueItems: true,
  items: { type: 'string', enum: WEBHOOK_EVENTS.filter((e) => e !== 'webhook.test') },
} as const;
const url = { type: 'string', maxLength: 2000, pattern: '^https?://' } as const;

/** Webhook endpoints of the calling customer, their delivery log, redelivery and test events. */
export async function webhookRoutes(app: FastifyInstance, ctx: AppContext, webhooks: WebhookService) {
  const opts = { preHandler: ctx.guards.apiClient };
  const security = [{ bearerAuth: [] }];
  const tags = ['webhooks'];
  const cid = (req: { apiClient?: { customerId: string } }) => req.apiClient!.customerId;
  const params = idParam('id', 'whe');

  app.post<{ Body: { url: string; events?: string[] } }>(
    '/v1/webhooks',
    {
      ...opts,
      schema: {
        tags,
        security,
        summary: 'Add a webhook endpoint; the signing secret is returned once',
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['url'],
          properties: { url, events },
          examples: [{ url: 'https://bank.example.vn/hooks/ekyc', events: ['session.completed'] }],
        },
        response: { 201: withSecret, ...errorResponses('ERR_WEBHOOK_URL', 'ERR_WEBHOOK_LIMIT') },
      },
    },
    async (req, reply) => reply.code(201).send(await webhooks.create(cid(req), req.body)),
  );

  app.get(
    '/v1/webhooks',
    {
      ...opts,
      schema: {
        tags,
        security,
        summary: 'Your webhook endpoints',
        response: {
          200: listOf(endpointSchema),
          ...errorResponses(),
        },
      },
    },
    async (req) => ({ items: await webhooks.list(cid(req)) }),
  );

  app.patch<{ Params: { id: string }; Body: { url?: string; events?: string[]; enabled?: boolean } }>(
    '/v1/webhooks/:id',
    {
      ...opts,
      schema: {
        tags,
        security,
        summary: 'Change the URL or events, or enable again after it was disabled',
        params,
        body: {
          type: 'object',
          additionalProperties: false,
          properties: { url, events, enabled: { type: 'boolean' } },
          examples: [{ enabled: true }],
        },
        response: { 200: endpointSchema, ...errorResponses('ERR_WEBHOOK_URL', 'ERR_WEBHOOK_NOT_FOUND') },
      },
    },
    async (req) => webhooks.update(cid(req), req.params.id, req.body),
  );

  app.delete<{ Params: { id: string } }>(
    '/v1/webhooks/:id',
    {
      ...opts,
      schema: {
        tags,
        security,
        summary: 'Remove an endpoint',
        params,
        response: { 204: { type: 'null' }, ...errorResponses('ERR_WEBHOOK_NOT_FOUND') },
      },
    },
    async (req, reply) => {
      await webhooks.remove(cid(req), req.params.id);
      return reply.code(204).send();
    },
  );

  app.post<{ Params: { id: string } }>(
    '/v1/webhooks/:id/rotate-secret',
    {
      ...opts,
      schema: {
        tags,
        security,
        summary: 'New signing secret; the previous one keeps signing for 24 h (two signatures per delivery)',
        params,
        response: { 200: withSecret, ...errorResponses('ERR_WEBHOOK_NOT_FOUND') },
      },
    },
    async (req) => webhooks.rotateSecret(cid(req), req.params.id),
  );

  app.post<{ Params: { id: string } }>(
    '/v1/webhooks/:id/test',
    {
      ...opts,
      schema: {
        tags,
        security,
        summary: 'Send a `webhook.test` event to this endpoint now',
        params,
        response: {
          202: {
            type: 'object',
            properties: { eventId: { type: 'string' }, deliveries: { type: 'integer' } },
            examples: [{ eventId: 'evt_0a1b2c3d4e5f6g7h8j9k', deliveries: 1 }],
          },
          ...errorResponses('ERR_WEBHOOK_NOT_FOUND'),
        },
      },
    },
    async (req, reply) => reply.code(202).send(await webhooks.sendTest(cid(req), req.params.id)),
  );

  app.get<{ Params: { id: string } }>(
    '/v1/webhooks/:id/deliveries',
    {
      ...opts,
      schema: {
        tags,
        security,
        summary: 'Delivery log: each event, its attempts and the response codes',
        params,
        response: {
          200: listOf(deliverySchema),
          ...errorResponses('ERR_WEBHOOK_NOT_FOUND'),
        },
      },
    },
    async (req) => ({ items: await webhooks.deliveries(cid(req), req.params.id) }),
  );

  app.post<{ Params: { id: string } }>(
    '/v1/webhooks/deliveries/:id/redeliver',
    {
      ...opts,
      schema: {
        tags,
        security,
        summary: 'Send a delivery again now',
        params: idParam('id', 'whd'),
        response: {
          202: {
            type: 'object',
            properties: { id: { type: 'string' } },
            examples: [{ id: 'whd_0a1b2c3d4e5f6g7h8j9k' }],
          },
          ...errorResponses('ERR_WEBHOOK_NOT_FOUND'),
        },
      },
    },
    async (req, reply) => {
      await webhooks.redeliver(cid(req), req.params.id);
      return reply.code(202).send({ id: req.params.id });
    },
  );

  // The same endpoints for the customer admin in the portal: the cookie session names the customer.
  const portal = { preHandler: ctx.guards.user('customer_admin') };
  const own = (req: FastifyRequest) => {
    const customerId = currentUser(req).customerId;
    if (!customerId) throw webhookError('ERR_WEBHOOK_NOT_FOUND');
    return customerId;
  };
  const portalTags = ['webhooks'];

  app.get(
    '/api/webhooks',
    {
      ...portal,
      schema: {
        tags: portalTags,
        summary: "Portal: the customer's webhook endpoints",
        response: { 200: listOf(endpointSchema), ...errorResponses() },
      },
    },
    async (req) => ({ items: await webhooks.list(own(req)) }),
  );

  app.post<{ Body: { url: string; events?: string[] } }>(
    '/api/webhooks',
    {
      ...portal,
      schema: {
        tags: portalTags,
        summary: 'Portal: add an endpoint; the signing secret is returned once',
        body: { type: 'object', additionalProperties: false, required: ['url'], properties: { url, events } },
        response: { 201: withSecret, ...errorResponses('ERR_WEBHOOK_URL', 'ERR_WEBHOOK_LIMIT') },
      },
    },
    async (req, reply) => reply.code(201).send(await webhooks.create(own(req), req.body)),
  );

  app.patch<{ Params: { id: string }; Body: { url?: string; events?: string[]; enabled?: boolean } }>(
    '/api/webhooks/:id',
    {
      ...portal,
      schema: {
        tags: portalTags,
        summary: 'Portal: change the URL or events, or enable again',
        params,
        body: {
          type: 'object',
          additionalProperties: false,
          properties: { url, events, enabled: { type: 'boolean' } },
        },
        response: { 200: endpointSchema, ...errorResponses('ERR_WEBHOOK_URL', 'ERR_WEBHOOK_NOT_FOUND') },
      },
    },
    async (req) => webhooks.update(own(req), req.params.id, req.body),
  );

  app.delete<{ Params: { id: string } }>(
    '/api/webhooks/:id',
    {
      ...portal,
      schema: {
        tags: portalTags,
        summary: 'Portal: remove an endpoint',
        params,
        response: { 204: { type: 'null' }, ...errorResponses('ERR_WEBHOOK_NOT_FOUND') },
      },
    },
    async (req, reply) => {
      await webhooks.remove(own(req), req.params.id);
      return reply.code(204).send();
    },
  );

  app.post<{ Params: { id: string } }>(
    '/api/webhooks/:id/rotate-secret',
    {
      ...portal,
      schema: {
        tags: portalTags,
        summary: 'Portal: new signing secret; the previous one keeps signing for 24 h',
        params,
        response: { 200: withSecret, ...errorResponses('ERR_WEBHOOK_NOT_FOUND') },
      },
    },
    async (req) => webhooks.rotateSecret(own(req), req.params.id),
  );

  app.post<{ Params: { id: string } }>(
    '/api/webhooks/:id/test',
    {
      ...portal,
      schema: {
        tags: portalTags,
        summary: 'Portal: send a `webhook.test` event to this endpoint now',
        params,
        response: {
          202: {
            type: 'object',
            properties: { eventId: { type: 'string' }, deliveries: { type: 'integer' } },
          },
          ...errorResponses('ERR_WEBHOOK_NOT_FOUND'),
        },
      },
    },
    async (req, reply) => reply.code(202).send(await webhooks.sendTest(own(req), req.params.id)),
  );

  app.get<{ Params: { id: string } }>(
    '/api/webhooks/:id/deliveries',
    {
      ...portal,
      schema: {
        tags: portalTags,
        summary: 'Portal: delivery log of an endpoint',
        params,
        response: { 200: listOf(deliverySchema), ...errorResponses('ERR_WEBHOOK_NOT_FOUND') },
      },
    },
    async (req) => ({ items: await webhooks.deliveries(own(req), req.params.id) }),
  );

  app.post<{ Params: { id: string } }>(
    '/api/webhooks/deliveries/:id/redeliver',
    {
      ...portal,
      schema: {
        tags: portalTags,
        summary: 'Portal: send a delivery again now',
        params: idParam('id', 'whd'),
        response: {
          202: { type: 'object', properties: { id: { type: 'string' } } },
          ...errorResponses('ERR_WEBHOOK_NOT_FOUND'),
        },
      },
    },
    async (req, reply) => {
      await webhooks.redeliver(own(req), req.params.id);
      return reply.code(202).send({ id: req.params.id });
    },
  );
}
