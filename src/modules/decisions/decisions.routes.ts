import type { FastifyInstance, FastifyRequest } from 'fastify';
import { actorOf, currentScope } from '../../http/auth.ts';
import type { AppContext } from '../../http/context.ts';
import { httpError } from '../../http/errors.ts';
import { errorResponses, idParam } from '../../http/schemas.ts';
import { recordAudit } from '../audit/audit.ts';
import { findCustomerInScope } from '../customers/customers.repo.ts';
import { currentRules, insertRuleVersion, listRuleVersions } from './decisions.repo.ts';
import { DEFAULT_RULES, type RulesPatch, rulesSchema } from './rules.ts';

const versionSchema = {
  type: 'object',
  properties: {
    version: { type: 'integer', description: '0 = the defaults (nothing stored yet)' },
    rules: { ...rulesSchema, additionalProperties: true },
    created_at: { type: ['string', 'null'] },
  },
  examples: [{ version: 0, rules: DEFAULT_RULES, created_at: null }],
} as const;

/** Per-customer decision rules: read by the integrator (API key), changed from the portal (versioned). */
export async function decisionRoutes(app: FastifyInstance, ctx: AppContext) {
  app.get(
    '/v1/decision-rules',
    {
      preHandler: ctx.guards.apiClient,
      schema: {
        tags: ['sessions'],
        summary: 'The decision rules in force for your sessions, with their version',
        security: [{ bearerAuth: [] }],
        response: { 200: versionSchema, ...errorResponses() },
      },
    },
    async (req) => currentRules(ctx.db, req.apiClient!.customerId),
  );

  const MANAGERS = ['admin', 'operator', 'customer_admin'] as const;
  async function assertCustomer(req: FastifyRequest, customerId: string) {
    if (!(await findCustomerInScope(ctx.db, currentScope(req), customerId))) {
      throw httpError('ERR_NOT_FOUND', 'Customer not found');
    }
  }

  app.get<{ Params: { customerId: string } }>(
    '/api/customers/:customerId/decision-rules',
    {
      preHandler: ctx.guards.user(...MANAGERS),
      schema: {
        tags: ['sessions'],
        summary: "A customer's decision rules: the current version and the history",
        params: idParam('customerId', 'cus'),
        response: {
          200: {
            type: 'object',
            properties: { current: versionSchema, versions: { type: 'array', items: versionSchema } },
          },
          ...errorResponses('ERR_NOT_FOUND'),
        },
      },
    },
    async (req) => {
      await assertCustomer(req, req.params.customerId);
      return {
        current: await currentRules(ctx.db, req.params.customerId),
        versions: await listRuleVersions(ctx.db, req.params.customerId),
      };
    },
  );

  app.put<{ Params: { customerId: string }; Body: RulesPatch }>(
    '/api/customers/:customerId/decision-rules',
    {
      preHandler: ctx.guards.user(...MANAGERS),
      schema: {
        tags: ['sessions'],
        summary: 'Store a new version of the decision rules (members left out keep their current value)',
        params: idParam('customerId', 'cus'),
        body: rulesSchema,
        response: { 201: versionSchema, ...errorResponses('ERR_BAD_REQUEST', 'ERR_NOT_FOUND') },
      },
    },
    async (req, reply) => {
      await assertCustomer(req, req.params.customerId);
      const actor = actorOf(req);
      const v = await insertRuleVersion(ctx.db, req.params.customerId, req.body, ctx.clock.now(), actor.id);
      await recordAudit(ctx.db, actor, {
        action: 'decision_rules.version',
        entityType: 'customer',
        entityId: req.params.customerId,
        customerId: req.params.customerId,
        details: { version: v.version },
      });
      return reply.code(201).send(v);
    },
  );
}
