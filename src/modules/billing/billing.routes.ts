import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { SqlParam } from '../../db/client.ts';
import { actorOf, currentScope, currentUser } from '../../http/auth.ts';
import type { AppContext } from '../../http/context.ts';
import { errorResponses, idParam } from '../../http/schemas.ts';
import { addDays } from '../../lib/calendar/dates.ts';
import { newId } from '../../lib/ids.ts';
import { percentToBp } from '../../lib/money.ts';
import { customerScopeSql } from '../accounts/scope.ts';
import { recordAudit } from '../audit/audit.ts';
import { commissionRoutes } from '../commissions/commissions.routes.ts';
import { countUsage } from '../metering/metering.ts';
import { billingError, createBillingService } from './billing.service.ts';
import { invoicePdf, type Party, toCsv, toXlsx } from './documents.ts';
import { localDate, localMonth, monthOf } from './period.ts';
import {
  findPlan,
  insertPlan,
  insertPlanVersion,
  lastFinalizedMonthOnPlan,
  listPlanVersions,
  planVersionOn,
  tiersToJson,
} from './plans.repo.ts';
import { nextTier, priceGraduated, priceVolume, type Tier, tiersProblem } from './pricing.ts';

/** VAT in basis points and the review period, from the validated config. */
function billingSettings(config: AppContext['config']) {
  return { vatRateBp: percentToBp(config.billingVatPercent), reviewDays: config.billingReviewDays };
}

const MONTH = { type: 'string', pattern: '^\\d{4}-(0[1-9]|1[0-2])$' } as const;
const BILLING_ADMINS = ['admin', 'operator'] as const;

const tierSchema = {
  type: 'object',
  properties: {
    up_to: { type: ['integer', 'null'], minimum: 1 },
    unit_price_vnd: { type: 'integer', minimum: 0 },
  },
  required: ['up_to', 'unit_price_vnd'],
  additionalProperties: false,
} as const;

const breakdownSchema = {
  type: 'array',
  items: {
    type: 'object',
    properties: {
      tier: { type: 'integer' },
      from: { type: 'integer' },
      to: { type: ['integer', 'null'] },
      quantity: { type: 'integer' },
      unitPriceVnd: { type: 'integer' },
      amountVnd: { type: 'integer' },
    },
  },
} as const;

const invoiceSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    number: { type: ['string', 'null'] },
    kind: { type: 'string', enum: ['invoice', 'credit_note'] },
    customer_id: { type: 'string' },
    period_month: { type: 'string' },
    credits_invoice_id: { type: ['string', 'null'] },
    status: { type: 'string', enum: ['draft', 'finalized'] },
    vat_rate_bp: { type: 'integer' },
    subtotal_vnd: { type: 'integer' },
    vat_vnd: { type: 'integer' },
    total_vnd: { type: 'integer' },
    reason: { type: ['string', 'null'] },
    review_until: { type: ['string', 'null'] },
    created_at: { type: 'string' },
    finalized_at: { type: ['string', 'null'] },
    lines: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          id: { type: 'string' },
          line_no: { type: 'integer' },
          kind: { type: 'string' },
          contract_id: { type: ['string', 'null'] },
          credits_line_id: { type: ['string', 'null'] },
          description: { type: 'string' },
          quantity: { type: 'integer' },
          unit_price_vnd: { type: ['integer', 'null'] },
          amount_vnd: { type: 'integer' },
          vat_vnd: { type: 'integer' },
          plan_code: { type: ['string', 'null'] },
          tier_mode: { type: ['string', 'null'] },
          breakdown: breakdownSchema,
        },
      },
    },
  },
} as const;

const exportQuery = {
  type: 'object',
  properties: { month: MONTH, format: { type: 'string', enum: ['csv', 'xlsx'], default: 'csv' } },
  required: ['month'],
  additionalProperties: false,
} as const;

export async function sendTable(
  reply: FastifyReply,
  name: string,
  format: 'csv' | 'xlsx',
  columns: string[],
  rows: Array<Record<string, unknown>>,
) {
  if (format === 'xlsx') {
    return reply
      .header('content-type', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')
      .header('content-disposition', `attachment; filename="${name}.xlsx"`)
      .send(await toXlsx(name.slice(0, 31), columns, rows));
  }
  return reply
    .header('content-type', 'text/csv; charset=utf-8')
    .header('content-disposition', `attachment; filename="${name}.csv"`)
    .send(toCsv(columns, rows));
}

export async function billingRoutes(app: FastifyInstance, ctx: AppContext) {
  const settings = billingSettings(ctx.config);
  const tz = ctx.config.timezone;
  const billing = createBillingService({
    db: ctx.db,
    clock: ctx.clock,
    options: { ...settings, timezone: tz },
  });

  /** A plan a user may see: public plans, and a custom plan only by staff or its own customer. */
  async function visiblePlan(req: FastifyRequest, code: string) {
    const plan = await findPlan(ctx.db, code);
    const scope = currentScope(req);
    if (!plan) throw billingError('ERR_PLAN_NOT_FOUND');
    if (plan.customer_id && scope.kind === 'customer' && scope.customerId !== plan.customer_id) {
      throw billingError('ERR_PLAN_NOT_FOUND');
    }
    if (plan.customer_id && scope.kind === 'none') throw billingError('ERR_PLAN_NOT_FOUND');
    return plan;
  }

  async function invoiceInScope(req: FastifyRequest, id: string) {
    const params: SqlParam[] = [id];
    const where = customerScopeSql(currentScope(req), 'customer_id', params);
    const [row] = await ctx.db.query<{ id: string }>(
      `SELECT id FROM invoices WHERE id = $1 AND ${where}`,
      params,
    );
    if (!row) throw billingError('ERR_INVOICE_NOT_FOUND');
    const invoice = (await billing.getInvoice(id))!;
    return { ...invoice, lines: await billing.linesOf(id) };
  }

  app.get<{ Querystring: { requests: number; plan?: string; date?: string } }>(
    '/api/pricing/quote',
    {
      preHandler: ctx.guards.user(),
      schema: {
        tags: ['billing'],
        summary:
          'Price simulator: the price of N requests in a month, in both tier modes, with the tier breakdown',
        querystring: {
          type: 'object',
          properties: {
            requests: { type: 'integer', minimum: 0, maximum: 1_000_000_000_000 },
            plan: { type: 'string', pattern: '^[a-z0-9_]{2,60}$', default: 'cloud_saas_default' },
            date: {
              type: 'string',
              format: 'date',
              description: 'Version in force on this local date (default today)',
            },
          },
          required: ['requests'],
          additionalProperties: false,
        },
        response: {
          200: {
            type: 'object',
            properties: {
              plan: { type: 'string' },
              plan_name: { type: 'string' },
              version_effective_from: { type: 'string' },
              plan_mode: { type: 'string', enum: ['volume', 'graduated'] },
              requests: { type: 'integer' },
              tiers: { type: 'array', items: tierSchema },
              volume: {
                type: 'object',
                properties: {
                  amount_vnd: { type: 'integer' },
                  tier: { type: 'integer' },
                  breakdown: breakdownSchema,
                },
              },
              graduated: {
                type: 'object',
                properties: {
                  amount_vnd: { type: 'integer' },
                  tier: { type: 'integer' },
                  breakdown: breakdownSchema,
                },
              },
              difference_vnd: { type: 'integer', description: 'graduated − volume' },
              next_tier: {
                type: ['object', 'null'],
                properties: {
                  tier: { type: 'integer' },
                  starts_at: { type: 'integer' },
                  unit_price_vnd: { type: 'integer' },
                  requests_to_go: { type: 'integer' },
                },
              },
            },
          },
          ...errorResponses('ERR_PLAN_NOT_FOUND'),
        },
      },
    },
    async (req) => {
      const code = req.query.plan ?? 'cloud_saas_default';
      await visiblePlan(req, code);
      const version = await planVersionOn(ctx.db, code, req.query.date ?? localDate(ctx.clock.now(), tz));
      if (!version) throw billingError('ERR_PLAN_NOT_FOUND');
      const n = req.query.requests;
      const v = priceVolume(n, version.tiers);
      const g = priceGraduated(n, version.tiers);
      const next = nextTier(n, version.tiers);
      return {
        plan: version.plan_code,
        plan_name: version.plan_name,
        version_effective_from: version.effective_from,
        plan_mode: version.tier_mode,
        requests: n,
        tiers: tiersToJson(version.tiers),
        volume: { amount_vnd: v.amountVnd, tier: v.tier, breakdown: v.breakdown },
        graduated: { amount_vnd: g.amountVnd, tier: g.tier, breakdown: g.breakdown },
        difference_vnd: g.amountVnd - v.amountVnd,
        next_tier: next && {
          tier: next.tier,
          starts_at: next.startsAt,
          unit_price_vnd: next.unitPriceVnd,
          requests_to_go: next.requestsToGo,
        },
      };
    },
  );

  app.get(
    '/api/price-plans',
    {
      preHandler: ctx.guards.user(),
      schema: {
        tags: ['billing'],
        summary: 'Price plans and their versions visible to you',
        response: errorResponses(),
      },
    },
    async (req) => {
      const scope = currentScope(req);
      // Custom plans carry one customer's negotiated prices: only staff and that customer see them.
      const which = scope.kind === 'all' ? 'all' : scope.kind === 'customer' ? scope.customerId : null;
      const versions = await listPlanVersions(ctx.db, which);
      return { items: versions.map((v) => ({ ...v, tiers: tiersToJson(v.tiers) })) };
    },
  );

  app.post<{
    Body: {
      code: string;
      name?: string;
      customer_id?: string | null;
      effective_from: string;
      tier_mode: 'volume' | 'graduated';
      tiers: Array<{ up_to: number | null; unit_price_vnd: number }>;
      minimum_monthly_vnd?: number;
    };
  }>(
    '/api/price-plans',
    {
      preHandler: ctx.guards.user(...BILLING_ADMINS),
      schema: {
        tags: ['billing'],
        summary: 'Create a plan, or a new version of a plan from a date (custom plans name their customer)',
        body: {
          type: 'object',
          properties: {
            code: { type: 'string', pattern: '^[a-z0-9_]{2,60}$' },
            name: { type: 'string', minLength: 1, maxLength: 200 },
            customer_id: { type: ['string', 'null'], pattern: '^cus_[0-9a-z]{1,40}$' },
            effective_from: { type: 'string', format: 'date' },
            tier_mode: { type: 'string', enum: ['volume', 'graduated'] },
            tiers: { type: 'array', minItems: 1, maxItems: 50, items: tierSchema },
            minimum_monthly_vnd: { type: 'integer', minimum: 0 },
          },
          required: ['code', 'effective_from', 'tier_mode', 'tiers'],
          additionalProperties: false,
        },
        response: errorResponses('ERR_PLAN_INVALID', 'ERR_PLAN_HISTORY', 'ERR_PLAN_EXISTS'),
      },
    },
    async (req, reply) => {
      const b = req.body;
      const tiers: Tier[] = b.tiers.map((t) => ({ upTo: t.up_to, unitPriceVnd: t.unit_price_vnd }));
      const problem = tiersProblem(tiers);
      if (problem) throw billingError('ERR_PLAN_INVALID', problem);
      const result = await ctx.db.transaction(async (tx) => {
        const existing = await findPlan(tx, b.code);
        if (!existing) {
          if (!b.name) throw billingError('ERR_PLAN_INVALID', 'a new plan needs a name');
          if (b.customer_id) {
            const [c] = await tx.query('SELECT 1 FROM customers WHERE id = $1', [b.customer_id]);
            if (!c) throw billingError('ERR_PLAN_INVALID', 'unknown customer');
          }
          await insertPlan(tx, { code: b.code, name: b.name, customerId: b.customer_id ?? null });
        } else {
          // The versions finalized invoices were priced with stay as they were.
          const locked = await lastFinalizedMonthOnPlan(tx, b.code);
          if (locked && b.effective_from <= locked)
            throw billingError('ERR_PLAN_HISTORY', `Finalized through the month of ${locked}`);
        }
        const id = newId('ppv');
        const ok = await insertPlanVersion(tx, {
          id,
          planCode: b.code,
          effectiveFrom: b.effective_from,
          tierMode: b.tier_mode,
          tiers,
          minimumMonthlyVnd: b.minimum_monthly_vnd ?? 0,
        });
        if (!ok) throw billingError('ERR_PLAN_EXISTS');
        await recordAudit(tx, actorOf(req), {
          action: 'price_plan.version',
          entityType: 'price_plan',
          entityId: b.code,
          details: { effective_from: b.effective_from, tier_mode: b.tier_mode },
        });
        return { id, plan_code: b.code, effective_from: b.effective_from };
      });
      return reply.code(201).send(result);
    },
  );

  app.post<{
    Params: { contractId: string };
    Body: { items: Array<{ bill_month: string; amount_vnd: number; description: string }> };
  }>(
    '/api/billing/contracts/:contractId/schedule',
    {
      preHandler: ctx.guards.user(...BILLING_ADMINS),
      schema: {
        tags: ['billing'],
        summary: 'On-premise: negotiated one-off or recurring amounts, each billed in its month',
        params: idParam('contractId', 'ctr'),
        body: {
          type: 'object',
          properties: {
            items: {
              type: 'array',
              minItems: 1,
              maxItems: 120,
              items: {
                type: 'object',
                properties: {
                  bill_month: MONTH,
                  amount_vnd: { type: 'integer', minimum: 1, maximum: 1e15 },
                  description: { type: 'string', minLength: 1, maxLength: 300 },
                },
                required: ['bill_month', 'amount_vnd', 'description'],
                additionalProperties: false,
              },
            },
          },
          required: ['items'],
          additionalProperties: false,
        },
        response: errorResponses('ERR_CONTRACT_NOT_FOUND'),
      },
    },
    async (req, reply) => {
      const [c] = await ctx.db.query<{ edition: string }>('SELECT edition FROM contracts WHERE id = $1', [
        req.params.contractId,
      ]);
      if (!c) throw billingError('ERR_CONTRACT_NOT_FOUND');
      let added = 0;
      for (const item of req.body.items) {
        const rows = await ctx.db.query(
          `INSERT INTO billing_schedule_items (id, contract_id, bill_month, amount_vnd, description)
           VALUES ($1, $2, $3::date, $4, $5) ON CONFLICT DO NOTHING RETURNING id`,
          [newId('bsi'), req.params.contractId, `${item.bill_month}-01`, item.amount_vnd, item.description],
        );
        added += rows.length;
      }
      return reply.code(201).send({ added });
    },
  );

  app.post<{ Body: { month: string } }>(
    '/api/billing/runs',
    {
      preHandler: ctx.guards.user(...BILLING_ADMINS),
      schema: {
        tags: ['billing'],
        summary: 'Run (or re-run) a month: drafts per customer; finalized invoices are never touched',
        body: {
          type: 'object',
          properties: { month: MONTH },
          required: ['month'],
          additionalProperties: false,
        },
        response: errorResponses('ERR_BILLING_MONTH_INVALID', 'ERR_PLAN_NOT_FOUND'),
      },
    },
    async (req) => billing.runMonth(req.body.month, actorOf(req)),
  );

  app.get<{
    Querystring: { month?: string; status?: string; customer_id?: string; limit?: number; offset?: number };
  }>(
    '/api/invoices',
    {
      preHandler: ctx.guards.user(),
      schema: {
        tags: ['billing'],
        summary: 'Invoices and credit notes you may see',
        querystring: {
          type: 'object',
          properties: {
            month: MONTH,
            status: { type: 'string', enum: ['draft', 'finalized'] },
            customer_id: { type: 'string', pattern: '^cus_[0-9a-z]{1,40}$' },
            limit: { type: 'integer', minimum: 1, maximum: 500, default: 100 },
            offset: { type: 'integer', minimum: 0, default: 0 },
          },
          additionalProperties: false,
        },
        response: {
          200: { type: 'object', properties: { items: { type: 'array', items: invoiceSchema } } },
          ...errorResponses(),
        },
      },
    },
    async (req) => {
      const q = req.query;
      const params: SqlParam[] = [];
      const where = [customerScopeSql(currentScope(req), 'i.customer_id', params)];
      if (q.month) where.push(`i.period_month = $${params.push(`${q.month}-01`)}::date`);
      if (q.status) where.push(`i.status = $${params.push(q.status)}`);
      if (q.customer_id) where.push(`i.customer_id = $${params.push(q.customer_id)}`);
      const items = await ctx.db.query(
        `SELECT i.id, i.number, i.kind, i.customer_id, to_char(i.period_month, 'YYYY-MM') AS period_month,
                i.credits_invoice_id, i.status, i.vat_rate_bp, i.subtotal_vnd, i.vat_vnd, i.total_vnd, i.reason,
                i.review_until, i.created_at, i.finalized_at
           FROM invoices i WHERE ${where.join(' AND ')}
          ORDER BY i.period_month DESC, i.created_at DESC, i.id LIMIT ${q.limit ?? 100} OFFSET ${q.offset ?? 0}`,
        params,
      );
      return { items };
    },
  );

  app.get<{ Querystring: { month: string; format?: 'csv' | 'xlsx' } }>(
    '/api/invoices/export',
    {
      preHandler: ctx.guards.user(),
      schema: {
        tags: ['billing'],
        summary: 'Invoices of a month as CSV or XLSX',
        querystring: exportQuery,
        response: errorResponses(),
      },
    },
    async (req, reply) => {
      const params: SqlParam[] = [`${req.query.month}-01`];
      const where = customerScopeSql(currentScope(req), 'i.customer_id', params);
      const rows = await ctx.db.query<Record<string, unknown>>(
        `SELECT i.number, i.kind, i.status, to_char(i.period_month, 'YYYY-MM') AS period, i.customer_id,
                c.legal_name AS customer, c.tax_code, i.subtotal_vnd, i.vat_rate_bp, i.vat_vnd, i.total_vnd, i.id
           FROM invoices i JOIN customers c ON c.id = i.customer_id
          WHERE i.period_month = $1::date AND ${where} ORDER BY i.customer_id, i.created_at`,
        params,
      );
      const cols = [
        'number',
        'kind',
        'status',
        'period',
        'customer_id',
        'customer',
        'tax_code',
        'subtotal_vnd',
        'vat_rate_bp',
        'vat_vnd',
        'total_vnd',
        'id',
      ];
      return sendTable(reply, `invoices-${req.query.month}`, req.query.format ?? 'csv', cols, rows);
    },
  );

  app.get<{ Params: { invoiceId: string } }>(
    '/api/invoices/:invoiceId',
    {
      preHandler: ctx.guards.user(),
      schema: {
        tags: ['billing'],
        summary: 'One invoice or credit note with its lines and tier breakdown',
        params: idParam('invoiceId', 'inv'),
        response: {
          200: invoiceSchema,
          ...errorResponses('ERR_INVOICE_NOT_FOUND'),
        },
      },
    },
    async (req) => invoiceInScope(req, req.params.invoiceId),
  );

  app.get<{ Params: { invoiceId: string } }>(
    '/api/invoices/:invoiceId/pdf',
    {
      preHandler: ctx.guards.user(),
      schema: {
        tags: ['billing'],
        summary: 'The invoice as a Vietnamese PDF',
        params: idParam('invoiceId', 'inv'),
        response: errorResponses('ERR_INVOICE_NOT_FOUND'),
      },
    },
    async (req, reply) => {
      const inv = await invoiceInScope(req, req.params.invoiceId);
      const [buyer] = await ctx.db.query<{ legal_name: string; tax_code: string; address: string | null }>(
        'SELECT legal_name, tax_code, address FROM customers WHERE id = $1',
        [inv.customer_id],
      );
      const [it] = await ctx.db.query<{ legal_name: string | null; tax_code: string | null }>(
        "SELECT legal_name, tax_code FROM units WHERE kind = 'it_center' ORDER BY created_at LIMIT 1",
      );
      const seller: Party = {
        name: it?.legal_name ?? 'Tổng Công ty Viễn thông MobiFone',
        taxCode: it?.tax_code ?? '0100686209',
        address: 'Số 01 phố Phạm Văn Bạch, phường Yên Hoà, Hà Nội',
      };
      const pdf = await invoicePdf(inv, inv.lines, seller, {
        name: buyer?.legal_name ?? '',
        taxCode: buyer?.tax_code ?? null,
        address: buyer?.address ?? null,
      });
      return reply
        .header('content-type', 'application/pdf')
        .header('content-disposition', `inline; filename="${inv.number ?? inv.id}.pdf"`)
        .send(pdf);
    },
  );

  app.post<{ Params: { invoiceId: string } }>(
    '/api/invoices/:invoiceId/finalize',
    {
      preHandler: ctx.guards.user(...BILLING_ADMINS),
      schema: {
        tags: ['billing'],
        summary: 'Finalize a draft now (else it finalizes after the review period); books the channel share',
        params: idParam('invoiceId', 'inv'),
        response: {
          200: invoiceSchema,
          ...errorResponses('ERR_INVOICE_NOT_FOUND', 'ERR_INVOICE_NOT_DRAFT'),
        },
      },
    },
    async (req) => {
      await invoiceInScope(req, req.params.invoiceId);
      await billing.finalize(req.params.invoiceId, actorOf(req));
      return invoiceInScope(req, req.params.invoiceId);
    },
  );

  app.post<{
    Params: { invoiceId: string };
    Body: { reason: string; lines?: Array<{ line_id: string; amount_vnd: number }> };
  }>(
    '/api/invoices/:invoiceId/credit-notes',
    {
      preHandler: ctx.guards.user(...BILLING_ADMINS),
      schema: {
        tags: ['billing'],
        summary: 'Correct a finalized invoice by a credit note (all that is left, or given amounts per line)',
        params: idParam('invoiceId', 'inv'),
        body: {
          type: 'object',
          properties: {
            reason: { type: 'string', minLength: 1, maxLength: 500 },
            lines: {
              type: 'array',
              minItems: 1,
              maxItems: 100,
              items: {
                type: 'object',
                properties: {
                  line_id: { type: 'string', pattern: '^inl_[0-9a-z]{1,40}$' },
                  amount_vnd: { type: 'integer', minimum: 1 },
                },
                required: ['line_id', 'amount_vnd'],
                additionalProperties: false,
              },
            },
          },
          required: ['reason'],
          additionalProperties: false,
        },
        response: {
          201: invoiceSchema,
          ...errorResponses(
            'ERR_INVOICE_NOT_FOUND',
            'ERR_INVOICE_NOT_FINALIZED',
            'ERR_CREDIT_INVALID',
            'ERR_CREDIT_EXCEEDS',
          ),
        },
      },
    },
    async (req, reply) => {
      await invoiceInScope(req, req.params.invoiceId);
      const { creditNote, lines } = await billing.creditNote(
        req.params.invoiceId,
        {
          reason: req.body.reason,
          ...(req.body.lines
            ? { lines: req.body.lines.map((l) => ({ lineId: l.line_id, amountVnd: l.amount_vnd })) }
            : {}),
        },
        actorOf(req),
      );
      return reply.code(201).send({ ...creditNote, lines });
    },
  );

  app.get<{ Querystring: { customer_id?: string } }>(
    '/api/billing/usage/current',
    {
      preHandler: ctx.guards.user(),
      schema: {
        tags: ['billing'],
        summary: "This month's running usage and cost with the current tier and the next tier's threshold",
        querystring: {
          type: 'object',
          properties: { customer_id: { type: 'string', pattern: '^cus_[0-9a-z]{1,40}$' } },
          additionalProperties: false,
        },
        response: errorResponses('ERR_INVOICE_NOT_FOUND', 'ERR_PLAN_NOT_FOUND'),
      },
    },
    async (req) => {
      const user = currentUser(req);
      const customerId = req.query.customer_id ?? user.customerId;
      if (!customerId) throw billingError('ERR_INVOICE_NOT_FOUND', 'customer_id is required');
      const params: SqlParam[] = [customerId];
      const where = customerScopeSql(currentScope(req), 'id', params);
      const [visible] = await ctx.db.query(`SELECT 1 FROM customers WHERE id = $1 AND ${where}`, params);
      if (!visible) throw billingError('ERR_INVOICE_NOT_FOUND', 'Customer not found');
      const now = ctx.clock.now();
      const m = localMonth(monthOf(now, tz), tz);
      const [contract] = await ctx.db.query<{ plan: string }>(
        `SELECT COALESCE(price_plan_code, 'cloud_saas_default') AS plan FROM contracts
          WHERE customer_id = $1 AND edition = 'cloud_saas' AND status IN ('active', 'expiring', 'cancellation_requested')
          ORDER BY start_date DESC LIMIT 1`,
        [customerId],
      );
      const version = await planVersionOn(ctx.db, contract?.plan ?? 'cloud_saas_default', m.firstDay);
      if (!version) throw billingError('ERR_PLAN_NOT_FOUND');
      const n = await countUsage(ctx.db, customerId, m.start, now);
      const priced =
        version.tier_mode === 'volume' ? priceVolume(n, version.tiers) : priceGraduated(n, version.tiers);
      const next = nextTier(n, version.tiers);
      return {
        customer_id: customerId,
        month: m.month,
        requests: n,
        plan: version.plan_code,
        tier_mode: version.tier_mode,
        tier: priced.tier,
        unit_price_vnd: version.tiers[priced.tier - 1]!.unitPriceVnd,
        amount_vnd: priced.amountVnd,
        vat_rate_bp: settings.vatRateBp,
        breakdown: priced.breakdown,
        next_tier: next && {
          tier: next.tier,
          starts_at: next.startsAt,
          unit_price_vnd: next.unitPriceVnd,
          requests_to_go: next.requestsToGo,
        },
      };
    },
  );

  app.get<{ Querystring: { customer_id?: string; days?: number } }>(
    '/api/billing/usage/daily',
    {
      preHandler: ctx.guards.user(),
      schema: {
        tags: ['billing'],
        summary:
          "A customer's billable requests per local day (every day of the window, zeros included) and its sessions by outcome",
        querystring: {
          type: 'object',
          properties: {
            customer_id: { type: 'string', pattern: '^cus_[0-9a-z]{1,40}$' },
            days: { type: 'integer', minimum: 1, maximum: 92, default: 30 },
          },
          additionalProperties: false,
        },
        response: {
          200: {
            type: 'object',
            properties: {
              customer_id: { type: 'string' },
              from: { type: 'string' },
              to: { type: 'string' },
              days: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: { day: { type: 'string' }, requests: { type: 'integer' } },
                },
              },
              sessions: {
                type: 'object',
                description: 'Sessions created in the window, by status (approved, declined, review …)',
                additionalProperties: { type: 'integer' },
              },
            },
          },
          ...errorResponses('ERR_INVOICE_NOT_FOUND'),
        },
      },
    },
    async (req) => {
      const customerId = req.query.customer_id ?? currentUser(req).customerId;
      if (!customerId) throw billingError('ERR_INVOICE_NOT_FOUND', 'customer_id is required');
      const params: SqlParam[] = [customerId];
      const where = customerScopeSql(currentScope(req), 'id', params);
      const [visible] = await ctx.db.query(`SELECT 1 FROM customers WHERE id = $1 AND ${where}`, params);
      if (!visible) throw billingError('ERR_INVOICE_NOT_FOUND', 'Customer not found');
      const to = localDate(ctx.clock.now(), tz);
      const from = addDays(to, 1 - (req.query.days ?? 30));
      // Local midnight of the first day, converted by the database in the service's time zone.
      const args = [customerId, from, tz];
      const start = '($2::date)::timestamp AT TIME ZONE $3';
      const perDay = await ctx.db.query<{ day: string; requests: number }>(
        `SELECT to_char((at AT TIME ZONE $3)::date, 'YYYY-MM-DD') AS day, count(*)::int AS requests
           FROM usage_events WHERE customer_id = $1 AND at >= ${start} GROUP BY 1`,
        args,
      );
      const byStatus = await ctx.db.query<{ status: string; n: number }>(
        `SELECT status, count(*)::int AS n FROM verification_sessions
          WHERE customer_id = $1 AND created_at >= ${start} GROUP BY 1 ORDER BY 1`,
        args,
      );
      const counts = new Map(perDay.map((r) => [r.day, r.requests]));
      const days = [];
      for (let d = from; d <= to; d = addDays(d, 1)) days.push({ day: d, requests: counts.get(d) ?? 0 });
      return {
        customer_id: customerId,
        from,
        to,
        days,
        sessions: Object.fromEntries(byStatus.map((r) => [r.status, r.n])),
      };
    },
  );

  app.get<{ Querystring: { month: string; format?: 'csv' | 'xlsx' } }>(
    '/api/billing/usage/export',
    {
      preHandler: ctx.guards.user(),
      schema: {
        tags: ['billing'],
        summary: 'Usage per customer, local day and kind for a month',
        querystring: exportQuery,
        response: errorResponses(),
      },
    },
    async (req, reply) => {
      const m = localMonth(req.query.month, tz);
      const params: SqlParam[] = [m.start, m.end, tz];
      const where = customerScopeSql(currentScope(req), 'customer_id', params);
      const rows = await ctx.db.query<Record<string, unknown>>(
        `SELECT customer_id, to_char((at AT TIME ZONE $3)::date, 'YYYY-MM-DD') AS day, kind, count(*)::int AS requests
           FROM usage_events WHERE at >= $1 AND at < $2 AND ${where} GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`,
        params,
      );
      return sendTable(
        reply,
        `usage-${req.query.month}`,
        req.query.format ?? 'csv',
        ['customer_id', 'day', 'kind', 'requests'],
        rows,
      );
    },
  );

  app.get<{
    Querystring: {
      from: string;
      to: string;
      group_by?: 'unit' | 'channel' | 'segment' | 'month';
      format?: 'json' | 'csv' | 'xlsx';
    };
  }>(
    '/api/billing/reports/revenue',
    {
      preHandler: ctx.guards.user('admin', 'operator', 'unit_user'),
      schema: {
        tags: ['billing'],
        summary:
          'Revenue (pre-VAT, finalized invoices net of credit notes) by unit, channel, segment or month',
        querystring: {
          type: 'object',
          properties: {
            from: MONTH,
            to: MONTH,
            group_by: { type: 'string', enum: ['unit', 'channel', 'segment', 'month'], default: 'month' },
            format: { type: 'string', enum: ['json', 'csv', 'xlsx'], default: 'json' },
          },
          required: ['from', 'to'],
          additionalProperties: false,
        },
        response: errorResponses('ERR_BILLING_MONTH_INVALID'),
      },
    },
    async (req, reply) => {
      const q = req.query;
      if (q.from > q.to) throw billingError('ERR_BILLING_MONTH_INVALID', 'from is after to');
      const params: SqlParam[] = [`${q.from}-01`, `${q.to}-01`];
      const where = customerScopeSql(currentScope(req), 'i.customer_id', params);
      const key = {
        unit: 'COALESCE(ct.signing_unit_id, cu.managing_unit_id)',
        channel: `CASE WHEN ct.agent_unit_id IS NOT NULL OR su.kind = 'agent' THEN 'agent'
                       WHEN COALESCE(ct.am_user_id, cu.am_user_id) IS NOT NULL THEN 'am' ELSE 'direct' END`,
        segment: 'cu.segment',
        month: "to_char(i.period_month, 'YYYY-MM')",
      }[q.group_by ?? 'month'];
      const rows = await ctx.db.query<Record<string, unknown>>(
        `SELECT ${key} AS key, sum(l.amount_vnd)::bigint AS revenue_vnd, sum(l.vat_vnd)::bigint AS vat_vnd,
                count(DISTINCT i.id)::int AS documents
           FROM invoices i JOIN invoice_lines l ON l.invoice_id = i.id JOIN customers cu ON cu.id = i.customer_id
           LEFT JOIN contracts ct ON ct.id = l.contract_id LEFT JOIN units su ON su.id = ct.signing_unit_id
          WHERE i.status = 'finalized' AND i.period_month BETWEEN $1::date AND $2::date AND ${where}
          GROUP BY 1 ORDER BY 1`,
        params,
      );
      const items = rows.map((r) => ({
        ...r,
        revenue_vnd: Number(r.revenue_vnd),
        vat_vnd: Number(r.vat_vnd),
      }));
      if ((q.format ?? 'json') === 'json') {
        return {
          group_by: q.group_by ?? 'month',
          from: q.from,
          to: q.to,
          items,
          total_vnd: items.reduce((s, r) => s + r.revenue_vnd, 0),
        };
      }
      return sendTable(
        reply,
        `revenue-${q.from}-${q.to}`,
        q.format as 'csv' | 'xlsx',
        ['key', 'revenue_vnd', 'vat_vnd', 'documents'],
        items,
      );
    },
  );

  await commissionRoutes(app, ctx);
}

/** The monthly run and the auto-finalize job, for `src/jobs/index.ts`. */
export function billingJobs(ctx: AppContext) {
  const tz = ctx.config.timezone;
  const billing = createBillingService({
    db: ctx.db,
    clock: ctx.clock,
    options: { ...billingSettings(ctx.config), timezone: tz },
  });
  const system = { type: 'system' as const, id: null };
  return [
    {
      name: 'billing-monthly-run',
      cron: '5 0 1 * *',
      handle: async (data: { month?: string }) => {
        const month = data.month ?? previousMonthOf(ctx.clock.now(), tz);
        await billing.runMonth(month, system);
      },
    },
    {
      name: 'billing-auto-finalize',
      cron: '15 * * * *',
      handle: async () => {
        await billing.finalizeDue(system);
      },
    },
  ];
}

function previousMonthOf(now: Date, tz: string): string {
  const [y, m] = monthOf(now, tz).split('-').map(Number) as [number, number];
  return m === 1 ? `${y - 1}-12` : `${y}-${String(m - 1).padStart(2, '0')}`;
}
