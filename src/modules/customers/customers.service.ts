import type { Db } from '../../db/client.ts';
import { httpError } from '../../http/errors.ts';
import type { Clock } from '../../lib/clock.ts';
import { newId } from '../../lib/ids.ts';
import { isValidTaxCode, normalizeTaxCode } from '../../lib/tax-code.ts';
import type { SessionUser } from '../accounts/roles.ts';
import { scopeOf } from '../accounts/scope.ts';
import { type Actor, recordAudit } from '../audit/audit.ts';
import { customerError } from '../contracts/errors.ts';
import { type CustomerRow, findCustomerInScope } from './customers.repo.ts';

export interface CustomerInput {
  legal_name: string;
  tax_code: string;
  segment: 'bank' | 'finance' | 'securities' | 'insurance' | 'other';
  managing_unit_id?: string | null;
  am_user_id?: string | null;
  contact_name?: string | null;
  contact_email?: string | null;
  contact_phone?: string | null;
  address?: string | null;
}

const UNIT_ROLES = new Set(['unit_user', 'agent_user']);

/**
 * The registered-customer list: each customer has one managing unit. A unit creates customers for
 * itself; an unassigned customer is claimed by a unit and an admin approves.
 */
export function createCustomerService(deps: { db: Db; clock: Clock }) {
  const { db, clock } = deps;
  /** A customer is managed by a unit that exists and is active (the foreign key alone answered 500). */
  const checkUnit = async (unitId: string | null | undefined) => {
    if (!unitId) return;
    const [unit] = await db.query('SELECT 1 FROM units WHERE id = $1 AND active', [unitId]);
    if (!unit) throw customerError('ERR_MANAGING_UNIT_INVALID');
  };

  return {
    async create(user: SessionUser, actor: Actor, input: CustomerInput): Promise<CustomerRow> {
      const taxCode = normalizeTaxCode(input.tax_code);
      if (!isValidTaxCode(taxCode)) throw customerError('ERR_TAX_CODE_INVALID');
      const unitId = UNIT_ROLES.has(user.role) ? user.unitId : (input.managing_unit_id ?? null);
      if (!UNIT_ROLES.has(user.role)) await checkUnit(unitId);
      const [existing] = await db.query<{ managing_unit_id: string | null }>(
        'SELECT managing_unit_id FROM customers WHERE tax_code = $1',
        [taxCode],
      );
      if (existing) {
        // Say whether a claim is possible, never who manages it.
        throw customerError(
          'ERR_CUSTOMER_EXISTS',
          existing.managing_unit_id ? 'Managed by a unit' : 'Unassigned: claim it',
          {
            claimable: existing.managing_unit_id === null,
          },
        );
      }
      const id = newId('cus');
      return db.transaction(async (tx) => {
        await tx.query(
          `INSERT INTO customers (id, legal_name, tax_code, segment, managing_unit_id, am_user_id, contact_name, contact_email, contact_phone, address)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
          [
            id,
            input.legal_name.trim(),
            taxCode,
            input.segment,
            unitId,
            input.am_user_id ?? null,
            input.contact_name ?? null,
            input.contact_email ?? null,
            input.contact_phone ?? null,
            input.address ?? null,
          ],
        );
        await recordAudit(tx, actor, {
          action: 'customer.create',
          entityType: 'customer',
          entityId: id,
          customerId: id,
        });
        return (await tx.query<CustomerRow>('SELECT * FROM customers WHERE id = $1', [id]))[0]!;
      });
    },

    async update(
      user: SessionUser,
      actor: Actor,
      id: string,
      patch: Partial<CustomerInput>,
    ): Promise<CustomerRow> {
      const row = await findCustomerInScope(db, scopeOf(user), id);
      if (!row) throw httpError('ERR_NOT_FOUND', 'Customer not found');
      if (UNIT_ROLES.has(user.role) && patch.managing_unit_id !== undefined)
        throw httpError('ERR_FORBIDDEN', 'Only an admin reassigns');
      if (patch.tax_code !== undefined && !isValidTaxCode(patch.tax_code))
        throw customerError('ERR_TAX_CODE_INVALID');
      await checkUnit(patch.managing_unit_id);
      const fields = [
        'legal_name',
        'tax_code',
        'segment',
        'managing_unit_id',
        'am_user_id',
        'contact_name',
        'contact_email',
        'contact_phone',
        'address',
      ] as const;
      const sets: string[] = [];
      const params: unknown[] = [id];
      for (const f of fields) {
        const v = patch[f];
        if (v === undefined) continue;
        params.push(f === 'tax_code' && typeof v === 'string' ? normalizeTaxCode(v) : v);
        sets.push(`${f} = $${params.length}`);
      }
      if (sets.length === 0) return row;
      params.push(clock.now());
      return db.transaction(async (tx) => {
        try {
          await tx.query(
            `UPDATE customers SET ${sets.join(', ')}, updated_at = $${params.length} WHERE id = $1`,
            params as string[],
          );
        } catch (err) {
          if ((err as { code?: string }).code === '23505') throw customerError('ERR_CUSTOMER_EXISTS');
          throw err;
        }
        await recordAudit(tx, actor, {
          action: 'customer.update',
          entityType: 'customer',
          entityId: id,
          customerId: id,
          details: {
            fields: Object.keys(patch),
            // A reassignment moves the customer out of one unit's scope into another's: say from where.
            ...(patch.managing_unit_id !== undefined && patch.managing_unit_id !== row.managing_unit_id
              ? { managing_unit: { from: row.managing_unit_id, to: patch.managing_unit_id } }
              : {}),
          },
        });
        return (await tx.query<CustomerRow>('SELECT * FROM customers WHERE id = $1', [id]))[0]!;
      });
    },

    /** A unit asks to manage an unassigned customer, found by its tax code. */
    async claim(user: SessionUser, actor: Actor, taxCode: string, reason: string | undefined) {
      if (!user.unitId) throw httpError('ERR_FORBIDDEN');
      const [c] = await db.query<{ id: string; managing_unit_id: string | null }>(
        'SELECT id, managing_unit_id FROM customers WHERE tax_code = $1',
        [normalizeTaxCode(taxCode)],
      );
      if (!c || c.managing_unit_id) throw customerError('ERR_CLAIM_NOT_ALLOWED');
      const id = newId('clm');
      return db.transaction(async (tx) => {
        const [row] = await tx.query<{ id: string }>(
          `INSERT INTO customer_claims (id, customer_id, unit_id, requested_by, reason, created_at) VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT DO NOTHING RETURNING id`,
          [id, c.id, user.unitId, user.id, reason ?? null, clock.now()],
        );
        if (!row) throw customerError('ERR_CLAIM_NOT_ALLOWED', 'Already claimed by your unit');
        await recordAudit(tx, actor, {
          action: 'customer.claim',
          entityType: 'customer',
          entityId: c.id,
          customerId: c.id,
        });
        return { id, customer_id: c.id, unit_id: user.unitId, status: 'pending' as const };
      });
    },

    listClaims(status: string | undefined) {
      return db.query(
        `SELECT id, customer_id, unit_id, requested_by, status, reason, decided_by, decided_at, created_at FROM customer_claims
         ${status ? 'WHERE status = $1' : ''} ORDER BY created_at DESC LIMIT 500`,
        status ? [status] : [],
      );
    },

    /** Admin decision; approving assigns the customer unless another unit got it first. */
    async decideClaim(actor: Actor, claimId: string, approve: boolean) {
      return db.transaction(async (tx) => {
        const [claim] = await tx.query<{ id: string; customer_id: string; unit_id: string; status: string }>(
          'SELECT id, customer_id, unit_id, status FROM customer_claims WHERE id = $1 FOR UPDATE',
          [claimId],
        );
        if (!claim) throw httpError('ERR_NOT_FOUND', 'Claim not found');
        if (claim.status !== 'pending') throw customerError('ERR_CLAIM_STATE');
        if (approve) {
          const [updated] = await tx.query(
            `UPDATE customers SET managing_unit_id = $2, updated_at = $3 WHERE id = $1 AND managing_unit_id IS NULL RETURNING id`,
            [claim.customer_id, claim.unit_id, clock.now()],
          );
          if (!updated) throw customerError('ERR_CLAIM_NOT_ALLOWED', 'The customer was assigned meanwhile');
          await tx.query(
            `UPDATE customer_claims SET status = 'rejected', decided_by = $2, decided_at = $3 WHERE customer_id = $1 AND status = 'pending' AND id <> $4`,
            [claim.customer_id, actor.id, clock.now(), claim.id],
          );
        }
        await tx.query(
          `UPDATE customer_claims SET status = $2, decided_by = $3, decided_at = $4 WHERE id = $1`,
          [claim.id, approve ? 'approved' : 'rejected', actor.id, clock.now()],
        );
        await recordAudit(tx, actor, {
          action: approve ? 'customer.claim_approved' : 'customer.claim_rejected',
          entityType: 'customer',
          entityId: claim.customer_id,
          customerId: claim.customer_id,
          details: { claim_id: claim.id, unit_id: claim.unit_id },
        });
        return { id: claim.id, status: approve ? 'approved' : 'rejected' };
      });
    },
  };
}
