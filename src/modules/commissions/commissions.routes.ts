import type { FastifyInstance } from 'fastify';
import type { SqlParam } from '../../db/client.ts';
import { actorOf, currentScope, currentUser } from '../../http/auth.ts';
import type { AppContext } from '../../http/context.ts';
import { defineErrors } from '../../http/errors.ts';
import { errorResponses } from '../../http/schemas.ts';
import { customerScopeSql } from '../accounts/scope.ts';
import { recordAudit } from '../audit/audit.ts';
import { sendTable } from '../billing/billing.routes.ts';
import {
  type Channel,
  insertRate,
  lastFinalizedMonth,
  listRates,
  statementEntries,
  statementTotals,
} from './ledger.ts';

export const rateError = defineErrors({
  ERR_RATE_EXISTS: { status: 409, title: 'This channel already has a rate from that date' },
  ERR_RATE_HISTORY: {
    status: 409,
    title: 'Invoices on or after that date are finalized: a new rate must start after them',
  },
});

const rateSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    channel: { type: 'string', enum: ['agent', 'am'] },
    rate_bp: { type: 'integer', description: 'basis points of pre-VAT revenue (4000 = 40 %)' },
    effective_from: { type: 'string', format: 'date' },
    created_at: { type: 'string' },
  },
} as const;

const querystring = {
  type: 'object',
  properties: {
    month: { type: 'string', pattern: '^\\d{4}-(0[1-9]|1[0-2])$' },
    unit_id: { type: 'string', pattern: '^unt_[0-9a-z]{1,40}$' },
    user_id: { type: 'string', pattern: '^usr_[0-9a-z]{1,40}$' },
    format: { type: 'string', enum: ['json', 'csv', 'xlsx'], default: 'json' },
  },
  required: ['month'],
  additionalProperties: false,
} as const;

/**
 * Channel-share statements: an agent's staff see their agent's, an AM/KAM their own, MobiFone
 * staff anyone's (filter by unit_id or user_id), a unit the entries of its customers.
 */
export async function commissionRoutes(app: FastifyInstance, ctx: AppContext) {
  app.get<{
    Querystring: { month: string; unit_id?: string; user_id?: string; format?: 'json' | 'csv' | 'xlsx' };
  }>(
    '/api/commissions/statements',
    {
      preHandler: ctx.guards.user('admin', 'operator', 'am', 'kam', 'agent_user', 'unit_user'),
      schema: {
        tags: ['commissions'],
        summary:
          'Monthly channel-share statement (40 % agent / 35 % AM-KAM of pre-VAT revenue), with reversals',
        querystring,
        response: errorResponses(),
      },
    },
    async (req, reply) => {
      const user = currentUser(req);
      const q = req.query;
      const filter: Parameters<typeof statementEntries>[2] = {};
      if (user.role === 'agent_user') filter.unitId = user.unitId ?? 'none';
      else if (user.role === 'am' || user.role === 'kam') filter.userId = user.id;
      else if (user.role === 'unit_user') {
        const scope = currentScope(req);
        filter.scopeSql = (params) => customerScopeSql(scope, 'e.customer_id', params as SqlParam[]);
      } else {
        if (q.unit_id) filter.unitId = q.unit_id;
        if (q.user_id) filter.userId = q.user_id;
      }
      const entries = await statementEntries(ctx.db, q.month, filter);
      if ((q.format ?? 'json') === 'json') {
        return { month: q.month, totals: statementTotals(entries), entries };
      }
      const cols = [
        'statement_month',
        'channel',
        'beneficiary_unit_id',
        'beneficiary_user_id',
        'invoice_number',
        'invoice_kind',
        'customer_id',
        'customer_name',
        'contract_id',
        'base_vnd',
        'rate_bp',
        'amount_vnd',
      ];
      return sendTable(
        reply,
        `statement-${q.month}`,
        q.format as 'csv' | 'xlsx',
        cols,
        entries as unknown as Array<Record<string, unknown>>,
      );
    },
  );

  app.get(
    '/api/commissions/rates',
    {
      preHandler: ctx.guards.user('admin', 'operator'),
      schema: {
        tags: ['commissions'],
        summary:
          'Channel-share rates over time per channel (agent, AM/KAM), and the last month finalized invoices lock',
        response: {
          200: {
            type: 'object',
            properties: {
              items: { type: 'array', items: rateSchema },
              locked_through: {
                type: ['string', 'null'],
                description: 'First day of the last finalized month: a new rate must start after it',
              },
            },
          },
          ...errorResponses(),
        },
      },
    },
    async () => ({ items: await listRates(ctx.db), locked_through: await lastFinalizedMonth(ctx.db) }),
  );

  app.post<{ Body: { channel: Channel; rate_bp: number; effective_from: string } }>(
    '/api/commissions/rates',
    {
      preHandler: ctx.guards.user('admin'),
      schema: {
        tags: ['commissions'],
        summary:
          'Admin: a new rate for a channel from a date; rates that finalized invoices used are never changed',
        body: {
          type: 'object',
          properties: {
            channel: { type: 'string', enum: ['agent', 'am'] },
            rate_bp: { type: 'integer', minimum: 0, maximum: 10_000 },
            effective_from: { type: 'string', format: 'date' },
          },
          required: ['channel', 'rate_bp', 'effective_from'],
          additionalProperties: false,
        },
        response: { 201: rateSchema, ...errorResponses('ERR_RATE_EXISTS', 'ERR_RATE_HISTORY') },
      },
    },
    async (req, reply) => {
      const b = req.body;
      const row = await ctx.db.transaction(async (tx) => {
        const locked = await lastFinalizedMonth(tx);
        if (locked && b.effective_from <= locked)
          throw rateError('ERR_RATE_HISTORY', `Finalized through the month of ${locked}`);
        const inserted = await insertRate(tx, b.channel, b.rate_bp, b.effective_from);
        if (!inserted) throw rateError('ERR_RATE_EXISTS');
        await recordAudit(tx, actorOf(req), {
          action: 'commission_rate.create',
          entityType: 'commission_rate',
          entityId: inserted.id,
          details: { channel: b.channel, rate_bp: b.rate_bp, effective_from: b.effective_from },
        });
        return inserted;
      });
      return reply.code(201).send(row);
    },
  );
}
