import type { FastifyInstance } from 'fastify';
import { actorOf } from '../../http/auth.ts';
import type { AppContext } from '../../http/context.ts';
import { httpError } from '../../http/errors.ts';
import { errorResponses, idParam } from '../../http/schemas.ts';
import { recordAudit } from '../audit/audit.ts';
import type { NoticeRow } from './notify.service.ts';

const noticeSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    channel: { type: 'string', enum: ['email', 'letter'] },
    recipient: { type: 'string' },
    subject: { type: 'string' },
    body_text: { type: 'string' },
    template: { type: 'string' },
    entity_type: { type: ['string', 'null'] },
    entity_id: { type: ['string', 'null'] },
    status: { type: 'string', enum: ['queued', 'sent', 'failed', 'printed'] },
    attempts: { type: 'integer' },
    last_error: { type: ['string', 'null'] },
    created_at: { type: 'string' },
    sent_at: { type: ['string', 'null'] },
  },
} as const;

const present = (n: NoticeRow) => ({
  ...n,
  created_at: n.created_at.toISOString(),
  sent_at: n.sent_at?.toISOString() ?? null,
});

/** The outbox: every email and letter the system produced, for the staff who send or print them. */
export async function noticeRoutes(app: FastifyInstance, ctx: AppContext) {
  app.get<{ Querystring: { status?: string; entity_id?: string; limit?: number; offset?: number } }>(
    '/api/notices',
    {
      preHandler: ctx.guards.user('admin', 'operator'),
      schema: {
        tags: ['notices'],
        summary: 'Notice outbox, newest first',
        querystring: {
          type: 'object',
          properties: {
            status: { type: 'string', enum: ['queued', 'sent', 'failed', 'printed'] },
            entity_id: { type: 'string', maxLength: 60 },
            limit: { type: 'integer', minimum: 1, maximum: 500, default: 100 },
            offset: { type: 'integer', minimum: 0, default: 0 },
          },
          additionalProperties: false,
        },
        response: {
          200: { type: 'object', properties: { items: { type: 'array', items: noticeSchema } } },
          ...errorResponses(),
        },
      },
    },
    async (req) => ({
      items: (
        await ctx.notifier.list({
          status: req.query.status,
          entityId: req.query.entity_id,
          limit: req.query.limit,
          offset: req.query.offset,
        })
      ).map(present),
    }),
  );

  app.post<{ Params: { noticeId: string } }>(
    '/api/notices/:noticeId/printed',
    {
      preHandler: ctx.guards.user('admin', 'operator'),
      schema: {
        tags: ['notices'],
        summary: 'Mark a letter as printed and posted',
        params: idParam('noticeId', 'ntc'),
        response: { 200: noticeSchema, ...errorResponses('ERR_NOT_FOUND', 'ERR_CONFLICT') },
      },
    },
    async (req) => {
      const [notice] = await ctx.db.query<NoticeRow>('SELECT * FROM notices WHERE id = $1', [
        req.params.noticeId,
      ]);
      if (!notice) throw httpError('ERR_NOT_FOUND', 'Notice not found');
      if (notice.channel !== 'letter') throw httpError('ERR_CONFLICT', 'Only letters are printed');
      await ctx.notifier.markPrinted(notice.id);
      await recordAudit(ctx.db, actorOf(req), {
        action: 'notice.printed',
        entityType: 'notice',
        entityId: notice.id,
      });
      const [updated] = await ctx.db.query<NoticeRow>('SELECT * FROM notices WHERE id = $1', [notice.id]);
      return present(updated!);
    },
  );
}
