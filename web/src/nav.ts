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
  {
    label: 'nav.tasks',
    href: '/app/tasks',
    roles: ['admin', 'operator', 'unit_user', 'agent_user'],
  },
  { label: 'nav.contracts', href: '/app/contracts', roles: STAFF },
  {
    label: 'nav.sessions',
    href: '/app/sessions',
    roles: ['admin', 'operator', 'customer_admin', 'support_agent'],
  },
  {
    label: 'nav.invoices',
    href: '/app/invoices',
    roles: ['admin', 'operator', 'unit_user', 'am', 'kam', 'customer_admin'],
  },
  { label: 'nav.support', href: '/app/support', roles: [...STAFF, 'customer_admin'] },
  { label: 'nav.usage', href: '/app/usage', roles: ['customer_admin'] },
  { label: 'nav.rules', href: '/app/rules', roles: ['customer_admin'] },
  { label: 'nav.webhooks', href: '/app/webhooks', roles: ['customer_admin'] },
  { label: 'nav.apiKeys', href: '/app/api-keys', roles: ['customer_admin'] },
  {
    label: 'nav.statements',
    href: '/app/statements',
    roles: ['admin', 'operator', 'am', 'kam', 'agent_user', 'unit_user'],
  },
  { label: 'nav.notices', href: '/app/notices', roles: ['admin', 'operator'] },
  { label: 'nav.units', href: '/app/units', roles: ['admin'] },
  { label: 'nav.users', href: '/app/users', roles: ['admin'] },
  { label: 'nav.plans', href: '/app/plans', roles: ['admin', 'operator'] },
  { label: 'nav.billing', href: '/app/billing', roles: ['admin', 'operator'] },
  { label: 'nav.calendar', href: '/app/calendar', roles: ['admin', 'operator'] },
  { label: 'nav.trust', href: '/app/trust', roles: ['admin'] },
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
