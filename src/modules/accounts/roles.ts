export const ROLES = [
  'admin',
  'operator',
  'unit_user',
  'am',
  'kam',
  'agent_user',
  'support_agent',
  'customer_admin',
] as const;
export type Role = (typeof ROLES)[number];

/** Back-office staff who see every customer. */
export const STAFF_ROLES: readonly Role[] = ['admin', 'operator', 'support_agent'];

export interface SessionUser {
  id: string;
  email: string;
  fullName: string;
  role: Role;
  unitId: string | null;
  customerId: string | null;
  /** Logged in with a password someone else handed over: only changing it is allowed. */
  mustChangePassword: boolean;
}
