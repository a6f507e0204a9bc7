import type { FastifyInstance } from 'fastify';
import { actorOf } from '../../http/auth.ts';
import type { AppContext } from '../../http/context.ts';
import { errorResponses } from '../../http/schemas.ts';
import {
  defaultCalendarDays,
  loadCalendarOverrides,
  mergeCalendarDays,
} from '../../lib/calendar/calendar.ts';
import { isIsoDate } from '../../lib/calendar/dates.ts';
import { recordAudit } from '../audit/audit.ts';
import { contractError } from './errors.ts';

const daySchema = {
  type: 'object',
  properties: {
    day: { type: 'string' },
    kind: { type: 'string', enum: ['holiday', 'working_day'] },
    name_vi: { type: 'string' },
    name_en: { type: 'string' },
    source: { type: 'string', enum: ['default', 'admin'] },
  },
} as const;

/** The business calendar: everyone reads it; admins add holidays / make-up working days or drop defaults. */
export async function calendarRoutes(app: FastifyInstance, ctx: AppContext) {
  app.get<{ Querystring: { year: number } }>(
    '/api/calendar/days',
    {
      preHandler: ctx.guards.user(),
      schema: {
        tags: ['calendar'],
        summary: 'Holidays and make-up working days of a year (defaults merged with admin changes)',
        querystring: {
          type: 'object',
          properties: { year: { type: 'integer', minimum: 2000, maximum: 2100 } },
          required: ['year'],
          additionalProperties: false,
        },
        response: {
          200: { type: 'object', properties: { items: { type: 'array', items: daySchema } } },
          ...errorResponses(),
        },
      },
    },
    async (req) => {
      const overrides = await loadCalendarOverrides(ctx.db);
      const admin = new Set(overrides.map((o) => o.day));
      const prefix = `${req.query.year}-`;
      return {
        items: mergeCalendarDays(defaultCalendarDays(), overrides)
          .filter((d) => d.day.startsWith(prefix))
          .map((d) => ({
            day: d.day,
            kind: d.kind,
            name_vi: d.nameVi,
            name_en: d.nameEn,
            source: admin.has(d.day) ? 'admin' : 'default',
          })),
      };
    },
  );

  app.put<{
    Params: { day: string };
    Body: { kind: 'holiday' | 'working_day'; name_vi: string; name_en?: string };
  }>(
    '/api/calendar/days/:day',
    {
      preHandler: ctx.guards.user('admin'),
      schema: {
        tags: ['calendar'],
        summary: 'Admin: make a day a holiday or a make-up working day',
        params: {
          type: 'object',
          properties: { day: { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$' } },
          required: ['day'],
        },
        body: {
          type: 'object',
          properties: {
            kind: { type: 'string', enum: ['holiday', 'working_day'] },
            name_vi: { type: 'string', minLength: 1, maxLength: 200 },
            name_en: { type: 'string', maxLength: 200 },
          },
          required: ['kind', 'name_vi'],
          additionalProperties: false,
        },
        response: { 200: daySchema, ...errorResponses('ERR_CALENDAR_DAY') },
      },
    },
    async (req) => {
      const { day } = req.params;
      if (!isIsoDate(day)) throw contractError('ERR_CALENDAR_DAY');
      const nameEn = req.body.name_en ?? '';
      await ctx.db.transaction(async (tx) => {
        await tx.query(
          `INSERT INTO calendar_days (day, kind, name_vi, name_en, created_by) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (day) DO UPDATE SET kind = EXCLUDED.kind, name_vi = EXCLUDED.name_vi, name_en = EXCLUDED.name_en,
             created_by = EXCLUDED.created_by, created_at = now()`,
          [day, req.body.kind, req.body.name_vi, nameEn, req.user!.id],
        );
        await recordAudit(tx, actorOf(req), {
          action: 'calendar.set_day',
          entityType: 'calendar_day',
          entityId: day,
          details: { kind: req.body.kind },
        });
      });
      return { day, kind: req.body.kind, name_vi: req.body.name_vi, name_en: nameEn, source: 'admin' };
    },
  );

  app.delete<{ Params: { day: string } }>(
    '/api/calendar/days/:day',
    {
      preHandler: ctx.guards.user('admin'),
      schema: {
        tags: ['calendar'],
        summary: 'Admin: back to an ordinary day (drops an admin change, or a shipped default holiday)',
        params: {
          type: 'object',
          properties: { day: { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$' } },
          required: ['day'],
        },
        response: { 204: { type: 'null' }, ...errorResponses('ERR_CALENDAR_DAY') },
      },
    },
    async (req, reply) => {
      const { day } = req.params;
      if (!isIsoDate(day)) throw contractError('ERR_CALENDAR_DAY');
      const isDefault = defaultCalendarDays().some((d) => d.day === day);
      await ctx.db.transaction(async (tx) => {
        if (isDefault) {
          await tx.query(
            `INSERT INTO calendar_days (day, kind, created_by) VALUES ($1, 'cleared', $2)
             ON CONFLICT (day) DO UPDATE SET kind = 'cleared', name_vi = '', name_en = '', created_by = EXCLUDED.created_by`,
            [day, req.user!.id],
          );
        } else {
          await tx.query('DELETE FROM calendar_days WHERE day = $1', [day]);
        }
        await recordAudit(tx, actorOf(req), {
          action: 'calendar.clear_day',
          entityType: 'calendar_day',
          entityId: day,
        });
      });
      return reply.code(204).send();
    },
  );
}
