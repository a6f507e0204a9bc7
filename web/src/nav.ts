import type { Role } from './api.ts';
import type { MsgKey } from './i18n.tsx';

export interface NavItem {
  label: MsgKey;
  href: string;
  /** Roles that see the item; empty = everyone. */
  roles: Role[];
  external?: boolean;
}

const STAFF: Role[] = ['admin', 'operator', 'unit_user', 'am', 'kam', 'agent_user', 'support_agent'];

/** The menu by role. A screen appears here when its API exists on the server. */
export const NAV: NavItem[] = [
  { label: 'nav.home', href: '/app', roles: [] },
  { label: 'nav.customers', href: '/app/customers', roles: STAFF },
  { label: 'nav.apiKeys', href: '/app/api-keys', roles: ['customer_admin'] },
  { label: 'nav.audit', href: '/app/audit', roles: ['admin'] },
  {
    label: 'nav.errors',
    href: '/app/errors',
    roles: ['admin', 'operator', 'support_agent', 'customer_admin'],
  },
  { label: 'nav.docs', href: '/docs', roles: ['admin', 'operator', 'customer_admin'], external: true },
];

export function navFor(role: Role): NavItem[] {
  return NAV.filter((i) => i.roles.length === 0 || i.roles.includes(role));
}
