import type { FastifyInstance } from 'fastify';
import type { SqlParam } from '../../db/client.ts';
import { currentScope, currentUser } from '../../http/auth.ts';
import type { AppContext } from '../../http/context.ts';
import { errorResponses } from '../../http/schemas.ts';
import { customerScopeSql } from '../accounts/scope.ts';
import { sendTable } from '../billing/billing.routes.ts';
import { statementEntries, statementTotals } from './ledger.ts';

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
}
