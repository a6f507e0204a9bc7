import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../http/context.ts';
import { errorResponses } from '../../http/schemas.ts';
import { listAudit } from './audit.ts';

interface AuditQuery {
  entity_type?: string;
  entity_id?: string;
  actor_id?: string;
  action?: string;
  from?: string;
  to?: string;
  before_id?: number;
  limit?: number;
}

export async function auditRoutes(app: FastifyInstance, ctx: AppContext) {
  app.get<{ Querystring: AuditQuery }>(
    '/api/audit',
    {
      preHandler: ctx.guards.user('admin'),
      schema: {
        tags: ['audit'],
        summary: 'Audit log, newest first; `next_before_id` asks for the next (older) page',
        querystring: {
          type: 'object',
          properties: {
            entity_type: { type: 'string', maxLength: 50 },
            entity_id: { type: 'string', maxLength: 60 },
            actor_id: { type: 'string', maxLength: 60 },
            action: {
              type: 'string',
              maxLength: 80,
              description: 'An action (contract.declare) or its family (contract = contract.*)',
            },
            from: { type: 'string', format: 'date', description: 'First local day (Asia/Ho_Chi_Minh)' },
            to: { type: 'string', format: 'date', description: 'Last local day, included' },
            before_id: { type: 'integer', minimum: 1, description: 'Entries older than this id' },
            limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
          },
          additionalProperties: false,
        },
        response: { ...errorResponses() },
      },
    },
    async (req) => {
      const q = req.query;
      const limit = q.limit ?? 100;
      const rows = await listAudit(ctx.db, {
        entityType: q.entity_type,
        entityId: q.entity_id,
        actorId: q.actor_id,
        action: q.action,
        from: q.from,
        to: q.to,
        timezone: ctx.config.timezone,
        beforeId: q.before_id,
        limit,
      });
      return {
        items: rows.map((r) => ({ ...r, at: r.at.toISOString() })),
        // A full page may have more behind it; the client asks until this is null.
        next_before_id: rows.length === limit ? Number(rows.at(-1)!.id) : null,
      };
    },
  );
}
