import type { Db } from '../../db/client.ts';
import type { Tier, TierMode } from './pricing.ts';

export interface PlanVersion {
  id: string;
  plan_code: string;
  plan_name: string;
  customer_id: string | null;
  effective_from: string;
  tier_mode: TierMode;
  tiers: Tier[];
  minimum_monthly_vnd: number;
}

interface VersionRow extends Omit<PlanVersion, 'tiers'> {
  tiers: Array<{ up_to: number | null; unit_price_vnd: number }>;
}

const toVersion = (r: VersionRow): PlanVersion => ({
  ...r,
  tiers: r.tiers.map((t) => ({ upTo: t.up_to, unitPriceVnd: t.unit_price_vnd })),
});

export const tiersToJson = (tiers: readonly Tier[]) =>
  tiers.map((t) => ({ up_to: t.upTo, unit_price_vnd: t.unitPriceVnd }));

const SELECT = `SELECT v.id, v.plan_code, p.name AS plan_name, p.customer_id,
  to_char(v.effective_from, 'YYYY-MM-DD') AS effective_from, v.tier_mode, v.tiers, v.minimum_monthly_vnd
  FROM price_plan_versions v JOIN price_plans p ON p.code = v.plan_code`;

/** The version of `planCode` in force on local date `day` (latest effective_from ≤ day). */
export async function planVersionOn(db: Db, planCode: string, day: string): Promise<PlanVersion | undefined> {
  const rows = await db.query<VersionRow>(
    `${SELECT} WHERE v.plan_code = $1 AND v.effective_from <= $2::date ORDER BY v.effective_from DESC LIMIT 1`,
    [planCode, day],
  );
  return rows[0] ? toVersion(rows[0]) : undefined;
}

export async function findPlan(
  db: Db,
  code: string,
): Promise<{ code: string; name: string; customer_id: string | null } | undefined> {
  const [row] = await db.query<{ code: string; name: string; customer_id: string | null }>(
    'SELECT code, name, customer_id FROM price_plans WHERE code = $1',
    [code],
  );
  return row;
}

export async function listPlanVersions(db: Db, customerId: string | null | 'all'): Promise<PlanVersion[]> {
  const params: string[] = [];
  let where = '';
  if (customerId === null) where = 'WHERE p.customer_id IS NULL';
  else if (customerId !== 'all')
    where = `WHERE p.customer_id IS NULL OR p.customer_id = $${params.push(customerId)}`;
  const rows = await db.query<VersionRow>(
    `${SELECT} ${where} ORDER BY v.plan_code, v.effective_from`,
    params,
  );
  return rows.map(toVersion);
}

export async function insertPlan(
  db: Db,
  plan: { code: string; name: string; customerId: string | null },
): Promise<boolean> {
  const rows = await db.query(
    'INSERT INTO price_plans (code, name, customer_id) VALUES ($1, $2, $3) ON CONFLICT (code) DO NOTHING RETURNING code',
    [plan.code, plan.name, plan.customerId],
  );
  return rows.length === 1;
}

export async function insertPlanVersion(
  db: Db,
  v: {
    id: string;
    planCode: string;
    effectiveFrom: string;
    tierMode: TierMode;
    tiers: readonly Tier[];
    minimumMonthlyVnd: number;
  },
): Promise<boolean> {
  const rows = await db.query(
    `INSERT INTO price_plan_versions (id, plan_code, effective_from, tier_mode, tiers, minimum_monthly_vnd)
     VALUES ($1, $2, $3, $4, $5::jsonb, $6) ON CONFLICT (plan_code, effective_from) DO NOTHING RETURNING id`,
    [
      v.id,
      v.planCode,
      v.effectiveFrom,
      v.tierMode,
      JSON.stringify(tiersToJson(v.tiers)),
      v.minimumMonthlyVnd,
    ],
  );
  return rows.length === 1;
}

/**
 * The first day of the last month a finalized invoice billed a customer on `planCode` (a contract
 * without a plan is on the default plan), or null: a new version must start after it.
 */
export async function lastFinalizedMonthOnPlan(db: Db, planCode: string): Promise<string | null> {
  const [row] = await db.query<{ month: string | null }>(
    `SELECT to_char(max(i.period_month), 'YYYY-MM-DD') AS month FROM invoices i
      WHERE i.status = 'finalized' AND EXISTS (
        SELECT 1 FROM contracts c
         WHERE c.customer_id = i.customer_id AND COALESCE(c.price_plan_code, 'cloud_saas_default') = $1)`,
    [planCode],
  );
  return row?.month ?? null;
}
