import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../http/context.ts';
import { errorResponses } from '../../http/schemas.ts';
import { listAudit } from './audit.ts';

export async function auditRoutes(app: FastifyInstance, ctx: AppContext) {
  app.get<{ Querystring: { entity_type?: string; entity_id?: string; actor_id?: string; limit?: number } }>(
    '/api/audit',
    {
      preHandler: ctx.guards.user('admin'),
      schema: {
        tags: ['audit'],
        summary: 'Audit log, newest first',
        querystring: {
          type: 'object',
          properties: {
            entity_type: { type: 'string', maxLength: 50 },
            entity_id: { type: 'string', maxLength: 60 },
            actor_id: { type: 'string', maxLength: 60 },
            limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
          },
          additionalProperties: false,
        },
        response: { ...errorResponses() },
      },
    },
    async (req) => {
      const rows = await listAudit(ctx.db, {
        entityType: req.query.entity_type,
        entityId: req.query.entity_id,
        actorId: req.query.actor_id,
        limit: req.query.limit,
      });
      return { items: rows.map((r) => ({ ...r, at: r.at.toISOString() })) };
    },
  );
}
