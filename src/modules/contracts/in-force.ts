import type { Db } from '../../db/client.ts';

/** Statuses in which a contract can be in force (between its dates and before a cancellation takes effect). */
export const IN_FORCE_STATUSES = ['active', 'expiring', 'cancellation_requested', 'renewed'] as const;

/**
 * SQL condition: contract alias `c` is in force on local date `$dateParam`.
 * A contract is in force on d when its status allows it, start_date ≤ d ≤ end_date and d is before the
 * cancellation's effective date (the first local date on which the service no longer works).
 */
export function inForceSql(dateParam: string): string {
  return `c.status IN ('active', 'expiring', 'cancellation_requested', 'renewed')
    AND c.start_date <= ${dateParam}::date AND c.end_date >= ${dateParam}::date
    AND (c.cancel_effective_date IS NULL OR ${dateParam}::date < c.cancel_effective_date)`;
}

export async function customerHasContractInForce(
  db: Db,
  customerId: string,
  localDate: string,
): Promise<boolean> {
  const rows = await db.query(
    `SELECT 1 FROM contracts c WHERE c.customer_id = $1 AND ${inForceSql('$2')} LIMIT 1`,
    [customerId, localDate],
  );
  return rows.length > 0;
}
