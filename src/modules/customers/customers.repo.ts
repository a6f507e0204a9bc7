import type { Db, SqlParam } from '../../db/client.ts';
import { customerScopeSql, type Scope } from '../accounts/scope.ts';

export interface CustomerRow {
  id: string;
  legal_name: string;
  tax_code: string;
  segment: string;
  managing_unit_id: string | null;
  am_user_id: string | null;
  contact_name: string | null;
  contact_email: string | null;
  contact_phone: string | null;
  address: string | null;
  created_at: Date;
}

export function listCustomers(
  db: Db,
  scope: Scope,
  filter: { q?: string; limit: number },
): Promise<CustomerRow[]> {
  const params: SqlParam[] = [];
  const where = [customerScopeSql(scope, 'c.id', params)];
  if (filter.q) {
    params.push(`%${filter.q.toLowerCase()}%`);
    where.push(`(lower(c.legal_name) LIKE $${params.length} OR c.tax_code LIKE $${params.length}
      OR c.contact_phone LIKE $${params.length})`);
  }
  params.push(filter.limit);
  return db.query<CustomerRow>(
    `SELECT c.* FROM customers c WHERE ${where.join(' AND ')} ORDER BY c.legal_name LIMIT $${params.length}`,
    params,
  );
}

export async function findCustomerInScope(
  db: Db,
  scope: Scope,
  id: string,
): Promise<CustomerRow | undefined> {
  const params: SqlParam[] = [id];
  const [row] = await db.query<CustomerRow>(
    `SELECT c.* FROM customers c WHERE c.id = $1 AND ${customerScopeSql(scope, 'c.id', params)}`,
    params,
  );
  return row;
}
