/**
 * Support desk (seed §5, issue 9). Intake three ways:
 * - hotline: a support agent logs the call, `POST /api/support/calls` (caller's choice: consulting
 *   0936110116 or technical support and complaints 0896151617);
 * - portal: a customer admin files `POST /api/support/requests`, attachments with
 *   `POST /api/support/requests/:id/attachments` (multipart);
 * - email: the desk imports a message sent to the support address as raw RFC 822 bytes:
 *   `curl -X POST /api/support/email-import -H 'content-type: message/rfc822' --data-binary @mail.eml`
 *   (with the session cookie and X-CSRF-Token); a mail pipe can post every message the same way.
 * Then staff move the request with `POST /api/support/requests/:id/transitions`, the customer reviews it.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Db } from '../../db/client.ts';
import { actorOf, currentUser } from '../../http/auth.ts';
import type { AppContext } from '../../http/context.ts';
import { httpError } from '../../http/errors.ts';
import { errorResponses, idParam, listOf } from '../../http/schemas.ts';
import { loadBusinessCalendar } from '../../lib/calendar/calendar.ts';
import { recordAudit } from '../audit/audit.ts';
import { MAX_EMAIL_BYTES } from './email.ts';
import { reportCsv, supportReport } from './reports.ts';
import * as repo from './support.repo.ts';
import {
  attachmentSchema,
  callBody,
  listQuery,
  portalBody,
  requestSchema,
  settingsSchema,
  targetSchema,
  text,
  transitionBody,
} from './support.schemas.ts';
import { createSupportService, DESK_ROLES, type SupportService } from './support.service.ts';
import { type Action, HOTLINES, type Priority, type Queue, type Status } from './workflow.ts';

const STAFF_READERS = ['admin', 'operator', 'support_agent', 'unit_user', 'agent_user', 'am', 'kam'] as const;
const ok = (schema: object) => ({ 200: schema });
const one = { ...ok(requestSchema) };
const idp = idParam('id', 'sup');

/** The service on this app's database, clock and notifier; the jobs build theirs the same way. */
export function supportServiceFor(ctx: AppContext): SupportService {
  return createSupportService({
    db: ctx.db,
    clock: ctx.clock,
    notifier: ctx.notifier,
    loadCalendar: (db: Db) => loadBusinessCalendar(db),
  });
}

export async function supportRoutes(app: FastifyInstance, ctx: AppContext) {
  const support = supportServiceFor(ctx);
  const viewer = (req: FastifyRequest) => support.viewerFor(currentUser(req));

  app.addContentTypeParser(
    'message/rfc822',
    { parseAs: 'buffer', bodyLimit: MAX_EMAIL_BYTES },
    (_req, body, done) => done(null, body),
  );

  app.get(
    '/api/support/hotlines',
    {
      schema: {
        tags: ['support'],
        summary: 'The two hotlines and their queues',
        response: ok(
          listOf({
            type: 'object',
            properties: {
              queue: { type: 'string' },
              hotline: { type: 'string' },
              label: { type: 'string' },
            },
          }),
        ),
      },
    },
    async () => ({
      items: [
        { queue: 'consulting', hotline: HOTLINES.consulting, label: 'Tư vấn sản phẩm / Product consulting' },
        {
          queue: 'technical',
          hotline: HOTLINES.technical,
          label: 'Hỗ trợ kỹ thuật và khiếu nại / Technical support and complaints',
        },
      ],
    }),
  );

  app.post<{
    Body: {
      caller_name: string;
      caller_phone: string;
      caller_email?: string;
      customer_id?: string;
      choice: Queue;
      category: string;
      priority?: Priority;
      subject?: string;
      description: string;
    };
  }>(
    '/api/support/calls',
    {
      preHandler: ctx.guards.user(...DESK_ROLES),
      schema: {
        tags: ['support'],
        summary: 'Log a hotline call (the agent finds the customer with GET /api/customers?q=)',
        body: callBody,
        response: {
          201: requestSchema,
          ...errorResponses('ERR_SUPPORT_CUSTOMER_UNKNOWN'),
        },
      },
    },
    async (req, reply) => {
      const b = req.body;
      const created = await support.intakeCall(actorOf(req), await viewer(req), {
        callerName: b.caller_name,
        callerPhone: b.caller_phone,
        callerEmail: b.caller_email,
        customerId: b.customer_id,
        choice: b.choice,
        category: b.category,
        priority: b.priority,
        subject: b.subject,
        description: b.description,
      });
      return reply.code(201).send(created);
    },
  );

  app.post<{
    Body: {
      queue?: Queue;
      category: string;
      priority?: Priority;
      subject: string;
      description: string;
      verification_session_id?: string;
    };
  }>(
    '/api/support/requests',
    {
      preHandler: ctx.guards.user('customer_admin'),
      schema: {
        tags: ['support'],
        summary: "File a request from the customer portal (the customer admin's own company)",
        body: portalBody,
        response: {
          201: requestSchema,
          ...errorResponses('ERR_SUPPORT_CUSTOMER_UNKNOWN'),
        },
      },
    },
    async (req, reply) => {
      const b = req.body;
      const created = await support.fileFromPortal(actorOf(req), await viewer(req), {
        queue: b.queue,
        category: b.category,
        priority: b.priority,
        subject: b.subject,
        description: b.description,
        verificationSessionId: b.verification_session_id,
      });
      return reply.code(201).send(created);
    },
  );

  app.post<{ Body: Buffer }>(
    '/api/support/email-import',
    {
      preHandler: ctx.guards.user(...DESK_ROLES),
      schema: {
        tags: ['support'],
        summary:
          'Import one email sent to the support address (body: raw RFC 822, content-type message/rfc822)',
        response: {
          201: requestSchema,
          ...errorResponses(
            'ERR_UNSUPPORTED_MEDIA_TYPE',
            'ERR_SUPPORT_EMAIL_INVALID',
            'ERR_SUPPORT_EMAIL_DUPLICATE',
          ),
        },
      },
    },
    async (req, reply) => {
      if (!Buffer.isBuffer(req.body)) throw httpError('ERR_UNSUPPORTED_MEDIA_TYPE', 'Send message/rfc822');
      return reply.code(201).send(await support.importEmail(actorOf(req), await viewer(req), req.body));
    },
  );

  app.get<{
    Querystring: { status?: Status; queue?: Queue; customer_id?: string; limit?: number; offset?: number };
  }>(
    '/api/support/requests',
    {
      preHandler: ctx.guards.user(),
      schema: {
        tags: ['support'],
        summary:
          'Requests you may see: the desk all (or its queues), a unit its customers, a customer its own',
        querystring: listQuery,
        response: {
          200: listOf(requestSchema),
          ...errorResponses(),
        },
      },
    },
    async (req) => ({
      items: await support.list(await viewer(req), {
        status: req.query.status,
        queue: req.query.queue,
        customerId: req.query.customer_id,
        limit: req.query.limit ?? 100,
        offset: req.query.offset ?? 0,
      }),
    }),
  );

  app.get<{ Params: { id: string } }>(
    '/api/support/requests/:id',
    {
      preHandler: ctx.guards.user(),
      schema: {
        tags: ['support'],
        summary: 'One request with its history (a customer sees only the parts meant for it)',
        params: idp,
        response: { ...one, ...errorResponses('ERR_SUPPORT_NOT_FOUND') },
      },
    },
    async (req) => support.get(await viewer(req), req.params.id),
  );

  app.post<{
    Params: { id: string };
    Body: {
      action: Action;
      note?: string;
      callback_at?: string;
      resolution?: string;
      told_customer?: boolean;
    };
  }>(
    '/api/support/requests/:id/transitions',
    {
      preHandler: ctx.guards.user(...DESK_ROLES),
      schema: {
        tags: ['support'],
        summary:
          'Move a request: start, wait_customer, schedule_callback (callback_at), resolve (resolution), notified, cancel',
        params: idp,
        body: transitionBody,
        response: {
          ...one,
          ...errorResponses('ERR_SUPPORT_NOT_FOUND', 'ERR_SUPPORT_TRANSITION', 'ERR_SUPPORT_CALLBACK_TIME'),
        },
      },
    },
    async (req) =>
      support.act(actorOf(req), await viewer(req), req.params.id, req.body.action, {
        note: req.body.note,
        callbackAt: req.body.callback_at ? new Date(req.body.callback_at) : undefined,
        resolution: req.body.resolution,
        toldCustomer: req.body.told_customer,
      }),
  );

  app.post<{ Params: { id: string }; Body: { body: string } }>(
    '/api/support/requests/:id/replies',
    {
      preHandler: ctx.guards.user(...DESK_ROLES, 'customer_admin'),
      schema: {
        tags: ['support'],
        summary: 'A reply the customer sees (from the desk or from the customer)',
        params: idp,
        body: {
          type: 'object',
          properties: { body: text(20_000) },
          required: ['body'],
          additionalProperties: false,
        },
        response: {
          ...one,
          ...errorResponses('ERR_SUPPORT_NOT_FOUND', 'ERR_SUPPORT_TRANSITION'),
        },
      },
    },
    async (req) => support.reply(actorOf(req), await viewer(req), req.params.id, req.body.body),
  );

  app.post<{ Params: { id: string }; Body: { body: string } }>(
    '/api/support/requests/:id/notes',
    {
      preHandler: ctx.guards.user(...DESK_ROLES),
      schema: {
        tags: ['support'],
        summary: 'An internal note (never shown to the customer)',
        params: idp,
        body: {
          type: 'object',
          properties: { body: text(20_000) },
          required: ['body'],
          additionalProperties: false,
        },
        response: { ...one, ...errorResponses('ERR_SUPPORT_NOT_FOUND') },
      },
    },
    async (req) => support.internalNote(actorOf(req), await viewer(req), req.params.id, req.body.body),
  );

  app.post<{ Params: { id: string }; Body: { satisfied: boolean; comment?: string } }>(
    '/api/support/requests/:id/review',
    {
      preHandler: ctx.guards.user(...DESK_ROLES, 'customer_admin'),
      schema: {
        tags: ['support'],
        summary:
          'The customer review: satisfied closes, not satisfied reopens (the desk records a caller’s answer)',
        params: idp,
        body: {
          type: 'object',
          properties: { satisfied: { type: 'boolean' }, comment: text(5000) },
          required: ['satisfied'],
          additionalProperties: false,
        },
        response: {
          ...one,
          ...errorResponses('ERR_SUPPORT_NOT_FOUND', 'ERR_SUPPORT_REVIEW_NOT_OPEN'),
        },
      },
    },
    async (req) =>
      support.review(actorOf(req), await viewer(req), req.params.id, req.body.satisfied, req.body.comment),
  );

  app.post<{ Params: { id: string }; Body: { note: string } }>(
    '/api/support/requests/:id/lead',
    {
      preHandler: ctx.guards.user(...DESK_ROLES),
      schema: {
        tags: ['support'],
        summary: "A consulting call ends as a sales lead, handed to the customer's managing unit",
        params: idp,
        body: {
          type: 'object',
          properties: { note: text(5000) },
          required: ['note'],
          additionalProperties: false,
        },
        response: {
          ...one,
          ...errorResponses('ERR_SUPPORT_NOT_FOUND', 'ERR_SUPPORT_LEAD_QUEUE', 'ERR_SUPPORT_TRANSITION'),
        },
      },
    },
    async (req) => support.handToSales(actorOf(req), await viewer(req), req.params.id, req.body.note),
  );

  app.post<{ Params: { id: string } }>(
    '/api/support/requests/:id/attachments',
    {
      preHandler: ctx.guards.user(...DESK_ROLES, 'customer_admin'),
      schema: {
        tags: ['support'],
        summary:
          'Attach files (multipart, field `file`, up to 5 MB each, PNG/JPEG/PDF/text; field `visibility` internal for desk-only files)',
        params: idp,
        multipart: {
          file: {
            file: true,
            many: true,
            required: true,
            description: 'PNG, JPEG, PDF or text, ≤ 5 MB each',
          },
          visibility: { description: '`internal`: seen by the support desk only; otherwise `public`' },
        },
        response: {
          201: listOf(attachmentSchema),
          ...errorResponses(
            'ERR_UNSUPPORTED_MEDIA_TYPE',
            'ERR_BAD_REQUEST',
            'ERR_SUPPORT_NOT_FOUND',
            'ERR_SUPPORT_ATTACHMENT_TOO_LARGE',
            'ERR_SUPPORT_ATTACHMENT_TYPE',
            'ERR_SUPPORT_ATTACHMENT_LIMIT',
          ),
        },
      },
    },
    async (req, reply) => {
      if (!req.isMultipart()) throw httpError('ERR_UNSUPPORTED_MEDIA_TYPE', 'Send multipart/form-data');
      const v = await viewer(req);
      const items = [];
      let visibility: 'public' | 'internal' = 'public';
      for await (const part of req.parts()) {
        if (part.type === 'field') {
          if (part.fieldname === 'visibility' && part.value === 'internal') visibility = 'internal';
          continue;
        }
        const bytes = await part.toBuffer();
        items.push(
          await support.addAttachment(
            actorOf(req),
            v,
            req.params.id,
            { filename: part.filename, bytes },
            visibility,
          ),
        );
      }
      if (!items.length) throw httpError('ERR_BAD_REQUEST', 'No file part');
      return reply.code(201).send({ items });
    },
  );

  app.get<{ Params: { id: string; attachmentId: string } }>(
    '/api/support/requests/:id/attachments/:attachmentId',
    {
      preHandler: ctx.guards.user(),
      schema: {
        tags: ['support'],
        summary: 'Download an attachment',
        params: {
          type: 'object',
          properties: {
            id: { type: 'string', pattern: '^sup_[0-9a-z]{1,40}$' },
            attachmentId: { type: 'string', pattern: '^att_[0-9a-z]{1,40}$' },
          },
          required: ['id', 'attachmentId'],
          additionalProperties: false,
        },
        response: errorResponses('ERR_SUPPORT_NOT_FOUND'),
      },
    },
    async (req, reply) => {
      const a = await support.attachment(await viewer(req), req.params.id, req.params.attachmentId);
      return reply
        .type(a.content_type)
        .header('content-disposition', `attachment; filename*=UTF-8''${encodeURIComponent(a.filename)}`)
        .header('x-content-type-options', 'nosniff')
        .send(Buffer.from(a.bytes));
    },
  );

  app.get(
    '/api/support/sla/breaches',
    {
      preHandler: ctx.guards.user(...STAFF_READERS),
      schema: {
        tags: ['support'],
        summary: 'Requests past their first-response or resolution target (working hours)',
        response: {
          200: listOf({
            type: 'object',
            properties: {
              id: { type: 'string' },
              queue: { type: 'string' },
              priority: { type: 'string' },
              status: { type: 'string' },
              customer_id: { type: ['string', 'null'] },
              assigned_to: { type: ['string', 'null'] },
              received_at: { type: 'string' },
              first_response_breached: { type: 'boolean' },
              resolution_breached: { type: 'boolean' },
              escalated: { type: 'boolean' },
              elapsed_hours: { type: 'number' },
            },
          }),
          ...errorResponses(),
        },
      },
    },
    async (req) => ({ items: await support.breaches(await viewer(req)) }),
  );

  app.get(
    '/api/support/sla/targets',
    {
      preHandler: ctx.guards.user(...STAFF_READERS),
      schema: {
        tags: ['support'],
        summary: 'SLA targets per queue and priority, in working hours',
        response: {
          200: listOf(targetSchema),
          ...errorResponses(),
        },
      },
    },
    async () => ({
      items: (await repo.slaTargets(ctx.db)).map((t) => ({
        queue: t.queue,
        priority: t.priority,
        first_response_hours: t.firstResponseHours,
        resolution_hours: t.resolutionHours,
      })),
    }),
  );

  app.put<{
    Body: { queue: Queue; priority: Priority; first_response_hours: number; resolution_hours: number };
  }>(
    '/api/support/sla/targets',
    {
      preHandler: ctx.guards.user('admin'),
      schema: {
        tags: ['support'],
        summary: 'Set the target of one queue and priority',
        body: targetSchema,
        response: { 200: targetSchema, ...errorResponses('ERR_BAD_REQUEST') },
      },
    },
    async (req) => {
      const b = req.body;
      if (b.first_response_hours > b.resolution_hours)
        throw httpError('ERR_BAD_REQUEST', 'first_response_hours must not exceed resolution_hours');
      await ctx.db.transaction(async (tx) => {
        await repo.upsertSlaTarget(tx, {
          queue: b.queue,
          priority: b.priority,
          firstResponseHours: b.first_response_hours,
          resolutionHours: b.resolution_hours,
        });
        await recordSettingAudit(tx, req, 'support.sla_target_set', { ...b });
      });
      return b;
    },
  );

  const settingsOut = async () => {
    const s = await repo.loadSettings(ctx.db);
    return {
      auto_close_working_days: s.autoCloseWorkingDays,
      callback_reminder_minutes: s.callbackReminderMinutes,
      escalation_email: s.escalationEmail,
    };
  };
  app.get(
    '/api/support/settings',
    {
      preHandler: ctx.guards.user(...STAFF_READERS),
      schema: {
        tags: ['support'],
        summary: 'Desk settings',
        response: { 200: settingsSchema, ...errorResponses() },
      },
    },
    settingsOut,
  );
  app.put<{
    Body: { auto_close_working_days?: number; callback_reminder_minutes?: number; escalation_email?: string };
  }>(
    '/api/support/settings',
    {
      preHandler: ctx.guards.user('admin'),
      schema: {
        tags: ['support'],
        summary:
          'Auto-close after N working days awaiting review, callback reminder lead time, escalation address',
        body: settingsSchema,
        response: { 200: settingsSchema, ...errorResponses() },
      },
    },
    async (req) => {
      await ctx.db.transaction(async (tx) => {
        await repo.saveSettings(tx, {
          autoCloseWorkingDays: req.body.auto_close_working_days,
          callbackReminderMinutes: req.body.callback_reminder_minutes,
          escalationEmail: req.body.escalation_email,
        });
        await recordSettingAudit(tx, req, 'support.settings_set', { keys: Object.keys(req.body) });
      });
      return settingsOut();
    },
  );

  app.put<{ Params: { userId: string }; Body: { queues: Queue[] } }>(
    '/api/support/agents/:userId/queues',
    {
      preHandler: ctx.guards.user('admin'),
      schema: {
        tags: ['support'],
        summary: 'The queues a support agent works (empty: both)',
        params: idParam('userId', 'usr'),
        body: {
          type: 'object',
          properties: {
            queues: {
              type: 'array',
              items: { type: 'string', enum: ['consulting', 'technical'] },
              uniqueItems: true,
            },
          },
          required: ['queues'],
          additionalProperties: false,
        },
        response: {
          200: {
            type: 'object',
            properties: { user_id: { type: 'string' }, queues: { type: 'array', items: { type: 'string' } } },
          },
          ...errorResponses('ERR_NOT_FOUND', 'ERR_CONFLICT'),
        },
      },
    },
    async (req) => {
      const role = await repo.userRole(ctx.db, req.params.userId);
      if (!role) throw httpError('ERR_NOT_FOUND', 'User not found');
      if (role !== 'support_agent') throw httpError('ERR_CONFLICT', 'Only a support agent works queues');
      await ctx.db.transaction(async (tx) => {
        await repo.setAgentQueues(tx, req.params.userId, req.body.queues);
        await recordSettingAudit(tx, req, 'support.agent_queues_set', {
          user_id: req.params.userId,
          queues: req.body.queues,
        });
      });
      return { user_id: req.params.userId, queues: req.body.queues };
    },
  );

  app.get<{ Querystring: { from?: string; to?: string; format?: 'json' | 'csv' } }>(
    '/api/support/reports',
    {
      preHandler: ctx.guards.user(...STAFF_READERS),
      schema: {
        tags: ['support'],
        summary:
          'Volume by queue and category, first-response and resolution times (working hours), SLA breaches, reopen and satisfaction rates; format=csv to export',
        querystring: {
          type: 'object',
          properties: {
            from: { type: 'string', format: 'date' },
            to: { type: 'string', format: 'date', description: 'exclusive' },
            format: { type: 'string', enum: ['json', 'csv'], default: 'json' },
          },
          additionalProperties: false,
        },
        response: errorResponses('ERR_BAD_REQUEST'),
      },
    },
    async (req, reply) => {
      const now = ctx.clock.now();
      // Days are Vietnamese days (UTC+7).
      const day = (d: string) => new Date(`${d}T00:00:00+07:00`);
      const from = req.query.from ? day(req.query.from) : new Date(now.getTime() - 30 * 86_400_000);
      const to = req.query.to ? day(req.query.to) : new Date(now.getTime() + 1000);
      if (!(from < to)) throw httpError('ERR_BAD_REQUEST', '`from` must be before `to`');
      const v = await viewer(req);
      const report = await supportReport(ctx.db, v, { from, to });
      if (req.query.format === 'csv') {
        return reply
          .type('text/csv; charset=utf-8')
          .header('content-disposition', 'attachment; filename="support-report.csv"')
          .send(reportCsv(report));
      }
      return report;
    },
  );

  async function recordSettingAudit(
    tx: Db,
    req: FastifyRequest,
    action: string,
    details: Record<string, unknown>,
  ) {
    await recordAudit(tx, actorOf(req), { action, entityType: 'support_settings', details });
  }
}
