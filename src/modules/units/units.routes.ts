import type { FastifyInstance } from 'fastify';
import { actorOf } from '../../http/auth.ts';
import type { AppContext } from '../../http/context.ts';
import { httpError } from '../../http/errors.ts';
import { errorResponses } from '../../http/schemas.ts';
import { newId } from '../../lib/ids.ts';
import { isValidTaxCode, normalizeTaxCode } from '../../lib/tax-code.ts';
import { recordAudit } from '../audit/audit.ts';
import { unitError } from '../contracts/errors.ts';

interface UnitBody {
  kind?: 'it_center' | 'ctkv' | 'agent';
  code?: string;
  name?: string;
  legal_name?: string | null;
  tax_code?: string | null;
  parent_unit_id?: string | null;
  email?: string | null;
  region?: string | null;
  manager_user_id?: string | null;
  active?: boolean;
}

const unitSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    kind: { type: 'string' },
    code: { type: 'string' },
    name: { type: 'string' },
    legal_name: { type: ['string', 'null'] },
    tax_code: { type: ['string', 'null'] },
    parent_unit_id: { type: ['string', 'null'] },
    email: { type: ['string', 'null'] },
    region: { type: ['string', 'null'] },
    manager_user_id: { type: ['string', 'null'] },
    active: { type: 'boolean' },
  },
} as const;

const bodyProps = {
  kind: { type: 'string', enum: ['it_center', 'ctkv', 'agent'] },
  code: { type: 'string', pattern: '^[A-Za-z0-9_.-]{2,30}$' },
  name: { type: 'string', minLength: 1, maxLength: 200 },
  legal_name: { type: ['string', 'null'], maxLength: 300 },
  tax_code: { type: ['string', 'null'], maxLength: 20 },
  parent_unit_id: { type: ['string', 'null'], maxLength: 60 },
  email: { anyOf: [{ type: 'string', format: 'email', maxLength: 200 }, { type: 'null' }] },
  region: { type: ['string', 'null'], minLength: 1, maxLength: 100 },
  manager_user_id: { type: ['string', 'null'], maxLength: 60 },
  active: { type: 'boolean' },
} as const;

const COLS =
  'id, kind, code, name, legal_name, tax_code, parent_unit_id, email, region, manager_user_id, active';

/** MobiFone units: the IT Center, the regional companies (CTKV) and the IT Center's agents. Admins edit them. */
export async function unitRoutes(app: FastifyInstance, ctx: AppContext) {
  app.get(
    '/api/units',
    {
      preHandler: ctx.guards.user(),
      schema: {
        tags: ['units'],
        summary: 'Every unit',
        response: {
          200: { type: 'object', properties: { items: { type: 'array', items: unitSchema } } },
          ...errorResponses(),
        },
      },
    },
    async () => ({ items: await ctx.db.query(`SELECT ${COLS} FROM units ORDER BY kind, code`) }),
  );

  const checkAgent = (b: UnitBody) => {
    if (b.tax_code && !isValidTaxCode(b.tax_code))
      throw unitError('ERR_UNIT_AGENT_FIELDS', 'Invalid tax code');
    if (b.kind === 'agent' && (!b.legal_name || !b.tax_code)) throw unitError('ERR_UNIT_AGENT_FIELDS');
  };
  const write = async <T>(fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === '23505') throw unitError('ERR_UNIT_CODE_TAKEN');
      if (code === '23503') throw httpError('ERR_BAD_REQUEST', 'Unknown parent unit or manager');
      throw err;
    }
  };

  app.post<{ Body: UnitBody }>(
    '/api/units',
    {
      preHandler: ctx.guards.user('admin'),
      schema: {
        tags: ['units'],
        summary: 'Admin: add a unit (an agent needs its legal name and tax code)',
        body: {
          type: 'object',
          properties: bodyProps,
          required: ['kind', 'code', 'name'],
          additionalProperties: false,
        },
        response: { 201: unitSchema, ...errorResponses('ERR_UNIT_CODE_TAKEN', 'ERR_UNIT_AGENT_FIELDS') },
      },
    },
    async (req, reply) => {
      const b = req.body;
      checkAgent(b);
      const id = newId('unt');
      const row = await write(() =>
        ctx.db.transaction(async (tx) => {
          const [r] = await tx.query(
            `INSERT INTO units (id, kind, code, name, legal_name, tax_code, parent_unit_id, email, manager_user_id, active, region)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING ${COLS}`,
            [
              id,
              b.kind ?? null,
              b.code ?? null,
              b.name ?? null,
              b.legal_name ?? null,
              b.tax_code ? normalizeTaxCode(b.tax_code) : null,
              b.parent_unit_id ?? null,
              b.email ?? null,
              b.manager_user_id ?? null,
              b.active ?? true,
              b.region ?? null,
            ],
          );
          await recordAudit(tx, actorOf(req), { action: 'unit.create', entityType: 'unit', entityId: id });
          return r;
        }),
      );
      return reply.code(201).send(row);
    },
  );

  app.patch<{ Params: { unitId: string }; Body: UnitBody }>(
    '/api/units/:unitId',
    {
      preHandler: ctx.guards.user('admin'),
      schema: {
        tags: ['units'],
        summary:
          'Admin: edit a unit (kind, name, legal name, tax code, e-mail, region, manager; active: false deactivates)',
        params: {
          type: 'object',
          properties: { unitId: { type: 'string', maxLength: 60 } },
          required: ['unitId'],
        },
        body: { type: 'object', properties: bodyProps, additionalProperties: false },
        response: {
          200: unitSchema,
          ...errorResponses('ERR_NOT_FOUND', 'ERR_UNIT_CODE_TAKEN', 'ERR_UNIT_AGENT_FIELDS', 'ERR_CONFLICT'),
        },
      },
    },
    async (req) => {
      const [current] = await ctx.db.query<UnitBody>(`SELECT ${COLS} FROM units WHERE id = $1`, [
        req.params.unitId,
      ]);
      if (!current) throw httpError('ERR_NOT_FOUND', 'Unit not found');
      const merged = { ...current, ...req.body };
      checkAgent(merged);
      // A unit's kind decides which roles its users may have: it cannot change under them.
      if (req.body.kind !== undefined && req.body.kind !== current.kind) {
        const [users] = await ctx.db.query<{ n: number }>(
          'SELECT count(*)::int AS n FROM users WHERE unit_id = $1',
          [req.params.unitId],
        );
        if (users!.n > 0)
          throw httpError(
            'ERR_CONFLICT',
            `The unit has ${users!.n} user(s): move them before changing its kind`,
          );
      }
      const fields = Object.keys(req.body) as Array<keyof UnitBody>;
      if (fields.length === 0) return current;
      const params: unknown[] = [req.params.unitId];
      const sets = fields.map((f) => {
        const v = req.body[f];
        params.push(f === 'tax_code' && typeof v === 'string' ? normalizeTaxCode(v) : (v ?? null));
        return `${f} = $${params.length}`;
      });
      return write(() =>
        ctx.db.transaction(async (tx) => {
          const [r] = await tx.query(
            `UPDATE units SET ${sets.join(', ')} WHERE id = $1 RETURNING ${COLS}`,
            params as string[],
          );
          await recordAudit(tx, actorOf(req), {
            action: 'unit.update',
            entityType: 'unit',
            entityId: req.params.unitId,
            details: { fields },
          });
          return r;
        }),
      );
    },
  );
}
