import type { FastifyInstance } from 'fastify';
import { actorOf, currentScope, currentUser } from '../../http/auth.ts';
import type { AppContext } from '../../http/context.ts';
import { errorResponses, idParam } from '../../http/schemas.ts';
import { loadBusinessCalendar } from '../../lib/calendar/calendar.ts';
import { addDays, dayNumber, isIsoDate, localDateOf } from '../../lib/calendar/dates.ts';
import { blobStoreFor, resolveMasterKey } from '../../lib/storage/blob-store.ts';
import { calendarRoutes } from './calendar.routes.ts';
import * as repo from './contracts.repo.ts';
import { type ContractService, createContractService, type DeclareInput } from './contracts.service.ts';
import { contractError } from './errors.ts';

const DATE = { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$' } as const;
const STATUSES = [
  'declared',
  'provisioning',
  'active',
  'expiring',
  'renewed',
  'expired',
  'cancellation_requested',
  'cancelled',
] as const;

export const contractSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    customer_id: { type: 'string' },
    edition: { type: 'string', enum: ['cloud_saas', 'on_premise'] },
    status: { type: 'string', enum: STATUSES },
    start_date: { type: 'string' },
    end_date: { type: 'string' },
    term_months: { type: 'integer' },
    signing_unit_id: { type: 'string' },
    am_user_id: { type: ['string', 'null'] },
    agent_unit_id: { type: ['string', 'null'] },
    price_plan_code: { type: ['string', 'null'] },
    signed_at: { type: ['string', 'null'] },
    declared_at: { type: ['string', 'null'] },
    activated_at: { type: ['string', 'null'] },
    cancel_effective_date: { type: ['string', 'null'] },
    cancel_reason: { type: ['string', 'null'] },
    renewal_of: { type: ['string', 'null'] },
    renewed_by_contract_id: { type: ['string', 'null'] },
    renewal_declined_at: { type: ['string', 'null'] },
    onprem_amount_vnd: { type: ['integer', 'null'] },
    payment_schedule: {},
    notes: { type: ['string', 'null'] },
    delivery_channel: { type: ['string', 'null'] },
    created_at: { type: 'string' },
  },
} as const;

const taskSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    kind: { type: 'string' },
    contract_id: { type: ['string', 'null'] },
    customer_id: { type: ['string', 'null'] },
    assignee: { type: 'string', enum: ['operator', 'unit'] },
    unit_id: { type: ['string', 'null'] },
    status: { type: 'string' },
    due_at: { type: 'string' },
    created_at: { type: 'string' },
    done_at: { type: ['string', 'null'] },
    escalated_at: { type: ['string', 'null'] },
    overdue: { type: 'boolean' },
    working_days_left: { type: ['integer', 'null'] },
  },
} as const;

const iso = (d: Date | null) => d?.toISOString() ?? null;
const presentContract = (c: repo.ContractRow) => ({
  ...c,
  declared_at: iso(c.declared_at),
  activated_at: iso(c.activated_at),
  renewal_declined_at: iso(c.renewal_declined_at),
  created_at: c.created_at.toISOString(),
  updated_at: c.updated_at.toISOString(),
});

const UNITS = ['unit_user', 'agent_user'] as const;
/** The sales units' "renewals due" view: contracts ending within this many calendar days. */
const RENEWAL_WINDOW_DAYS = 30;
const DECLARERS = ['admin', ...UNITS] as const;
const OPERATORS = ['admin', 'operator'] as const;
const params = idParam('contractId', 'ctr');

export async function contractRoutes(app: FastifyInstance, ctx: AppContext) {
  const masterKey = await resolveMasterKey({ masterKey: ctx.config.masterKey, dataDir: ctx.config.dataDir });
  const service: ContractService = createContractService({
    db: ctx.db,
    clock: ctx.clock,
    config: ctx.config,
    notifier: ctx.notifier,
    apiKeys: ctx.apiKeys,
    blobs: await blobStoreFor(ctx),
    masterKey,
  });
  contractServices.set(ctx, service);
  await calendarRoutes(app, ctx);

  app.get<{
    Querystring: {
      customer_id?: string;
      status?: string;
      renewal_due?: boolean;
      limit?: number;
      offset?: number;
    };
  }>(
    '/api/contracts',
    {
      preHandler: ctx.guards.user(),
      schema: {
        tags: ['contracts'],
        summary:
          'Contracts of the customers you may see, with days_left to the end date (local); renewal_due=true: in force, not renewed, ending within 30 days, soonest first',
        querystring: {
          type: 'object',
          properties: {
            customer_id: { type: 'string', maxLength: 60 },
            status: { type: 'string', enum: STATUSES },
            renewal_due: { type: 'boolean' },
            limit: { type: 'integer', minimum: 1, maximum: 500, default: 100 },
            offset: { type: 'integer', minimum: 0, default: 0 },
          },
          additionalProperties: false,
        },
        response: {
          200: {
            type: 'object',
            properties: {
              items: {
                type: 'array',
                items: {
                  ...contractSchema,
                  properties: { ...contractSchema.properties, days_left: { type: 'integer' } },
                },
              },
            },
          },
          ...errorResponses(),
        },
      },
    },
    async (req) => {
      const today = localDateOf(ctx.clock.now());
      const rows = await repo.listContracts(ctx.db, currentScope(req), {
        customerId: req.query.customer_id,
        status: req.query.status,
        endingBetween: req.query.renewal_due
          ? { from: today, to: addDays(today, RENEWAL_WINDOW_DAYS) }
          : undefined,
        limit: req.query.limit ?? 100,
        offset: req.query.offset ?? 0,
      });
      return {
        items: rows.map((c) => ({
          ...presentContract(c),
          days_left: dayNumber(c.end_date) - dayNumber(today),
        })),
      };
    },
  );

  app.post<{ Body: DeclareInput }>(
    '/api/contracts',
    {
      preHandler: ctx.guards.user(...DECLARERS),
      schema: {
        tags: ['contracts'],
        summary: 'Declare a signed contract (new or renewal); opens the operator task',
        body: {
          type: 'object',
          properties: {
            customer_id: { type: 'string', pattern: '^cus_[0-9a-z]{1,40}$' },
            edition: { type: 'string', enum: ['cloud_saas', 'on_premise'] },
            signed_at: DATE,
            start_date: DATE,
            term_months: { type: 'integer', minimum: 1, maximum: 120 },
            signing_unit_id: { type: 'string', maxLength: 60 },
            am_user_id: { type: 'string', maxLength: 60 },
            agent_unit_id: { type: 'string', maxLength: 60 },
            price_plan_code: { type: 'string', minLength: 1, maxLength: 60 },
            onprem_amount_vnd: { type: 'integer', minimum: 0, maximum: 1e15 },
            payment_schedule: {
              type: 'array',
              maxItems: 60,
              items: {
                type: 'object',
                properties: { due_date: DATE, amount_vnd: { type: 'integer', minimum: 0, maximum: 1e15 } },
                required: ['due_date', 'amount_vnd'],
                additionalProperties: false,
              },
            },
            notes: { type: 'string', maxLength: 4000 },
            renewal_of: { type: 'string', pattern: '^ctr_[0-9a-z]{1,40}$' },
          },
          required: ['customer_id', 'edition', 'signed_at', 'term_months'],
          additionalProperties: false,
        },
        response: {
          201: contractSchema,
          ...errorResponses(
            'ERR_UNIT_REQUIRED',
            'ERR_CONTRACT_EDITION_TERMS',
            'ERR_CONTRACT_DATES',
            'ERR_NOT_FOUND',
            'ERR_CONTRACT_NOT_FOUND',
            'ERR_CONTRACT_STATE',
            'ERR_CONTRACT_EXISTS',
            'ERR_RENEWAL_PRIORITY',
            'ERR_CUSTOMER_UNASSIGNED',
          ),
        },
      },
    },
    async (req, reply) => {
      for (const d of [
        req.body.signed_at,
        req.body.start_date,
        ...(req.body.payment_schedule ?? []).map((p) => p.due_date),
      ]) {
        if (d !== undefined && !isIsoDate(d))
          throw contractError('ERR_CONTRACT_DATES', 'Not a calendar date');
      }
      const c = await service.declare(currentUser(req), actorOf(req), req.body);
      return reply.code(201).send(presentContract(c));
    },
  );

  app.get<{ Params: { contractId: string } }>(
    '/api/contracts/:contractId',
    {
      preHandler: ctx.guards.user(),
      schema: {
        tags: ['contracts'],
        summary: 'One contract',
        params,
        response: {
          200: contractSchema,
          ...errorResponses('ERR_CONTRACT_NOT_FOUND'),
        },
      },
    },
    async (req) => presentContract(await service.visible(currentUser(req), req.params.contractId)),
  );

  app.get<{ Params: { contractId: string } }>(
    '/api/contracts/:contractId/timeline',
    {
      preHandler: ctx.guards.user(),
      schema: {
        tags: ['contracts'],
        summary: 'Every transition: who, when, why',
        params,
        response: errorResponses('ERR_CONTRACT_NOT_FOUND'),
      },
    },
    async (req) => {
      const c = await service.visible(currentUser(req), req.params.contractId);
      const events = await repo.listEvents(ctx.db, c.id);
      return { items: events.map((e) => ({ ...e, at: e.at.toISOString() })) };
    },
  );

  app.post<{ Params: { contractId: string }; Body: { admin_email?: string } | undefined }>(
    '/api/contracts/:contractId/provision',
    {
      preHandler: ctx.guards.user(...OPERATORS),
      schema: {
        tags: ['contracts'],
        summary:
          'Operator: create the customer admin user and API key; details go to the unit behind a one-time link',
        params,
        body: {
          type: ['object', 'null'],
          properties: { admin_email: { type: 'string', format: 'email', maxLength: 200 } },
          additionalProperties: false,
        },
        response: errorResponses(
          'ERR_CONTRACT_NOT_FOUND',
          'ERR_CONTRACT_STATE',
          'ERR_NOT_FOUND',
          'ERR_VALIDATION',
          'ERR_CONFLICT',
        ),
      },
    },
    async (req) => {
      const r = await service.provision(
        currentUser(req),
        actorOf(req),
        req.params.contractId,
        req.body ?? {},
      );
      return {
        ...r,
        contract: presentContract(r.contract),
        link_expires_at: r.link_expires_at.toISOString(),
      };
    },
  );

  app.get<{ Params: { token: string } }>(
    '/api/account-links/:token',
    {
      preHandler: ctx.guards.user('admin', ...UNITS),
      schema: {
        tags: ['contracts'],
        summary: 'Open the one-time account-details link (signing unit only; works once)',
        params: {
          type: 'object',
          properties: { token: { type: 'string', pattern: '^[A-Za-z0-9_-]{20,100}$' } },
          required: ['token'],
        },
        response: errorResponses('ERR_LINK_INVALID', 'ERR_LINK_USED'),
      },
    },
    async (req, reply) => {
      reply.header('cache-control', 'no-store');
      return service.openLink(currentUser(req), actorOf(req), req.params.token);
    },
  );

  app.post<{ Params: { contractId: string }; Body: { channel: 'email' | 'letter' } }>(
    '/api/contracts/:contractId/deliver',
    {
      preHandler: ctx.guards.user(...DECLARERS),
      schema: {
        tags: ['contracts'],
        summary:
          'The unit sent the account details to the customer (system email or PDF letter): contract active',
        params,
        body: {
          type: 'object',
          properties: { channel: { type: 'string', enum: ['email', 'letter'] } },
          required: ['channel'],
          additionalProperties: false,
        },
        response: {
          200: contractSchema,
          ...errorResponses(
            'ERR_CONTRACT_NOT_FOUND',
            'ERR_NOT_FOUND',
            'ERR_CUSTOMER_NOT_MANAGED',
            'ERR_CONTRACT_STATE',
          ),
        },
      },
    },
    async (req) =>
      presentContract(
        await service.confirmDelivery(
          currentUser(req),
          actorOf(req),
          req.params.contractId,
          req.body.channel,
        ),
      ),
  );

  app.get<{ Params: { contractId: string } }>(
    '/api/contracts/:contractId/letter.pdf',
    {
      preHandler: ctx.guards.user(...DECLARERS, 'operator'),
      schema: {
        tags: ['contracts'],
        summary: 'The activation letter as PDF',
        params,
        response: errorResponses('ERR_CONTRACT_NOT_FOUND', 'ERR_NOT_FOUND'),
      },
    },
    async (req, reply) => {
      const pdf = await service.letterPdf(currentUser(req), req.params.contractId);
      return reply
        .type('application/pdf')
        .header('content-disposition', `inline; filename="${req.params.contractId}.pdf"`)
        .send(pdf);
    },
  );

  app.post<{ Params: { contractId: string }; Body: { reason: string } }>(
    '/api/contracts/:contractId/decline-renewal',
    {
      preHandler: ctx.guards.user(...DECLARERS),
      schema: {
        tags: ['contracts'],
        summary: 'The original unit declines the renewal: other units may declare it',
        params,
        body: {
          type: 'object',
          properties: { reason: { type: 'string', minLength: 1, maxLength: 1000 } },
          required: ['reason'],
          additionalProperties: false,
        },
        response: {
          200: contractSchema,
          ...errorResponses('ERR_CONTRACT_NOT_FOUND', 'ERR_CUSTOMER_NOT_MANAGED', 'ERR_CONTRACT_STATE'),
        },
      },
    },
    async (req) =>
      presentContract(
        await service.declineRenewal(currentUser(req), actorOf(req), req.params.contractId, req.body.reason),
      ),
  );

  app.post<{ Params: { contractId: string } }>(
    '/api/contracts/:contractId/activate-renewal',
    {
      preHandler: ctx.guards.user(...OPERATORS),
      schema: {
        tags: ['contracts'],
        summary: 'Operator: extend the term (renewal active, original renewed); notices to unit and customer',
        params,
        response: {
          200: contractSchema,
          ...errorResponses('ERR_CONTRACT_NOT_FOUND', 'ERR_CONTRACT_STATE', 'ERR_NOT_FOUND'),
        },
      },
    },
    async (req) =>
      presentContract(await service.activateRenewal(currentUser(req), actorOf(req), req.params.contractId)),
  );

  app.post<{
    Params: { contractId: string };
    Body: { effective_date: string; reason: string; requested_on: string };
  }>(
    '/api/contracts/:contractId/cancel',
    {
      preHandler: ctx.guards.user(...DECLARERS),
      schema: {
        tags: ['contracts'],
        summary: "Declare the customer's cancellation (effective date = first day without service)",
        params,
        body: {
          type: 'object',
          properties: {
            effective_date: DATE,
            requested_on: DATE,
            reason: { type: 'string', minLength: 1, maxLength: 1000 },
          },
          required: ['effective_date', 'requested_on', 'reason'],
          additionalProperties: false,
        },
        response: {
          200: contractSchema,
          ...errorResponses(
            'ERR_CONTRACT_DATES',
            'ERR_CONTRACT_NOT_FOUND',
            'ERR_NOT_FOUND',
            'ERR_CUSTOMER_NOT_MANAGED',
            'ERR_CONTRACT_STATE',
          ),
        },
      },
    },
    async (req) => {
      if (!isIsoDate(req.body.effective_date) || !isIsoDate(req.body.requested_on)) {
        throw contractError('ERR_CONTRACT_DATES', 'Not a calendar date');
      }
      return presentContract(
        await service.requestCancellation(currentUser(req), actorOf(req), req.params.contractId, req.body),
      );
    },
  );

  app.post<{ Params: { contractId: string } }>(
    '/api/contracts/:contractId/confirm-cancellation',
    {
      preHandler: ctx.guards.user(...OPERATORS),
      schema: {
        tags: ['contracts'],
        summary: 'Operator: cancellation configured; notices to unit and customer',
        params,
        response: {
          200: contractSchema,
          ...errorResponses('ERR_CONTRACT_NOT_FOUND', 'ERR_CONTRACT_STATE', 'ERR_NOT_FOUND'),
        },
      },
    },
    async (req) =>
      presentContract(
        await service.confirmCancellation(currentUser(req), actorOf(req), req.params.contractId),
      ),
  );

  app.post<{ Params: { contractId: string } }>(
    '/api/contracts/:contractId/signed-file',
    {
      preHandler: ctx.guards.user(...DECLARERS, 'operator'),
      schema: {
        tags: ['contracts'],
        summary: 'Upload the signed contract (PDF, multipart field `file`); stored encrypted',
        params,
        multipart: { file: { file: true, required: true, description: 'The signed contract, PDF' } },
        response: errorResponses(
          'ERR_FILE_NOT_PDF',
          'ERR_CONTRACT_NOT_FOUND',
          'ERR_NOT_FOUND',
          'ERR_CUSTOMER_NOT_MANAGED',
        ),
      },
    },
    async (req, reply) => {
      if (!req.isMultipart())
        throw contractError('ERR_FILE_NOT_PDF', 'Send multipart/form-data with a `file` part');
      const file = await req.file();
      if (!file) throw contractError('ERR_FILE_NOT_PDF', 'No file part');
      const data = await file.toBuffer();
      const stored = await service.storeSignedFile(currentUser(req), actorOf(req), req.params.contractId, {
        name: file.filename,
        data,
      });
      return reply.code(201).send(stored);
    },
  );

  app.get<{ Params: { contractId: string } }>(
    '/api/contracts/:contractId/signed-file',
    {
      preHandler: ctx.guards.user('admin', 'operator', ...UNITS, 'am', 'kam'),
      schema: {
        tags: ['contracts'],
        summary: 'Download the signed contract PDF',
        params,
        response: errorResponses('ERR_CONTRACT_NOT_FOUND', 'ERR_FILE_NOT_FOUND'),
      },
    },
    async (req, reply) => {
      const f = await service.signedFile(currentUser(req), req.params.contractId);
      return reply
        .type('application/pdf')
        .header('content-disposition', `attachment; filename="${encodeURIComponent(f.name)}"`)
        .send(f.data);
    },
  );

  app.get<{
    Querystring: {
      status?: 'open' | 'done' | 'cancelled';
      overdue?: boolean;
      limit?: number;
      offset?: number;
    };
  }>(
    '/api/tasks',
    {
      preHandler: ctx.guards.user('admin', 'operator', ...UNITS),
      schema: {
        tags: ['contracts'],
        summary:
          'Workflow tasks with working-day deadlines (operators: all; units: their own); overdue=true for the overdue list; working_days_left (open tasks): working days after today up to the due date, 0 = due today, negative when late',
        querystring: {
          type: 'object',
          properties: {
            status: { type: 'string', enum: ['open', 'done', 'cancelled'] },
            overdue: { type: 'boolean' },
            limit: { type: 'integer', minimum: 1, maximum: 500, default: 200 },
            offset: { type: 'integer', minimum: 0, default: 0 },
          },
          additionalProperties: false,
        },
        response: {
          200: { type: 'object', properties: { items: { type: 'array', items: taskSchema } } },
          ...errorResponses(),
        },
      },
    },
    async (req) => {
      const user = currentUser(req);
      const now = ctx.clock.now();
      const [rows, cal] = await Promise.all([
        repo.listTasks(ctx.db, currentScope(req), {
          status: req.query.status,
          overdueAt: req.query.overdue ? now : undefined,
          unitId: user.unitId,
          limit: req.query.limit ?? 200,
          offset: req.query.offset ?? 0,
        }),
        loadBusinessCalendar(ctx.db),
      ]);
      return {
        items: rows.map((t) => ({
          ...t,
          due_at: t.due_at.toISOString(),
          created_at: t.created_at.toISOString(),
          done_at: iso(t.done_at),
          escalated_at: iso(t.escalated_at),
          overdue: t.status === 'open' && t.due_at.getTime() < now.getTime(),
          // Deadlines are counted in working days (holidays, Tết, make-up days), so is what is left of them.
          working_days_left: t.status === 'open' ? cal.workingDaysBetween(now, t.due_at) : null,
        })),
      };
    },
  );
}

/** The service each app built, for its jobs (`src/jobs/index.ts`). */
export const contractServices = new WeakMap<AppContext, ContractService>();

/** Job handlers: look up the app's service, or build one when the routes were not registered. */
export function contractJobs(ctx: AppContext) {
  const get = () => {
    const s = contractServices.get(ctx);
    if (!s) throw new Error('contract routes are not registered');
    return s;
  };
  return {
    daily: async () => {
      await get().runDaily();
    },
    escalate: async () => {
      await get().escalateOverdue();
    },
  };
}
