import type { SqlParam } from '../../db/client.ts';
import type { SessionUser } from './roles.ts';

/**
 * Which customers a user may see. Every back-office query that touches customer data filters
 * through `customerScopeSql`, so a unit sees only the customers it manages and a customer only itself.
 */
export type Scope =
  | { kind: 'all' }
  | { kind: 'unit'; unitId: string }
  | { kind: 'account_manager'; userId: string }
  | { kind: 'customer'; customerId: string }
  | { kind: 'none' };

export function scopeOf(user: SessionUser): Scope {
  switch (user.role) {
    case 'admin':
    case 'operator':
    case 'support_agent':
      return { kind: 'all' };
    case 'unit_user':
    case 'agent_user':
      return user.unitId ? { kind: 'unit', unitId: user.unitId } : { kind: 'none' };
    case 'am':
    case 'kam':
      return { kind: 'account_manager', userId: user.id };
    case 'customer_admin':
      return user.customerId ? { kind: 'customer', customerId: user.customerId } : { kind: 'none' };
  }
}

/**
 * SQL condition limiting `customerIdColumn` to the scope; pushes its parameters onto `params`.
 * A unit sees the customers it manages and those of its own agents (the IT Center sells through them).
 */
export function customerScopeSql(scope: Scope, customerIdColumn: string, params: SqlParam[]): string {
  switch (scope.kind) {
    case 'all':
      return 'TRUE';
    case 'none':
      return 'FALSE';
    case 'customer':
      params.push(scope.customerId);
      return `${customerIdColumn} = $${params.length}`;
    case 'unit': {
      params.push(scope.unitId);
      const p = `$${params.length}`;
      return `${customerIdColumn} IN (SELECT sc.id FROM customers sc JOIN units su ON su.id = sc.managing_unit_id
        WHERE su.id = ${p} OR su.parent_unit_id = ${p})`;
    }
    case 'account_manager':
      params.push(scope.userId);
      return `${customerIdColumn} IN (SELECT sc.id FROM customers sc WHERE sc.am_user_id = $${params.length})`;
  }
}
