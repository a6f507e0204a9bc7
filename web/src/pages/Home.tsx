import { type ApiKey, type AuditEntry, api, type Customer } from '../api.ts';
import { useI18n } from '../i18n.tsx';
import { navFor } from '../nav.ts';
import { Link } from '../router.tsx';
import { useUser } from '../session.tsx';
import { ErrorBox, Loading, useAsync } from '../ui.tsx';

/** Landing page after login: what matters for the role, each card from a live API. */
export function HomePage() {
  const { t } = useI18n();
  const user = useUser();
  return (
    <>
      <h1>{t('home.hello', { name: user.full_name })}</h1>
      <p className="muted">{t('home.role', { role: t(`role.${user.role}`) })}</p>
      <div className="cards">
        {user.role === 'customer_admin' ? <MyCompanyCard /> : <CustomersCard />}
        {user.role === 'customer_admin' ? <UsageCard /> : null}
        {user.role === 'admin' ? <AuditCard /> : null}
        <section className="card" aria-labelledby="quick-h">
          <h2 id="quick-h">{t('home.quick')}</h2>
          <ul className="link-list">
            {navFor(user.role)
              .filter((i) => i.href !== '/app')
              .map((i) =>
                i.external ? (
                  <li key={i.href}>
                    <a href={i.href} target="_blank" rel="noreferrer">
                      {t(i.label)} ↗
                    </a>
                  </li>
                ) : (
                  <li key={i.href}>
                    <Link href={i.href}>{t(i.label)}</Link>
                  </li>
                ),
              )}
          </ul>
        </section>
      </div>
    </>
  );
}

function CustomersCard() {
  const { t } = useI18n();
  const res = useAsync((s) => api.get<{ items: Customer[] }>('/api/customers', { limit: 500 }, s), []);
  return (
    <section className="card" aria-labelledby="cust-h">
      <h2 id="cust-h">{t('home.customers')}</h2>
      {res.loading ? <Loading /> : null}
      <ErrorBox error={res.error} onRetry={res.reload} />
      {res.data ? (
        <>
          <p className="stat">{t('home.customersCount', { n: res.data.items.length })}</p>
          <ul className="link-list">
            {res.data.items.slice(0, 5).map((c) => (
              <li key={c.id}>
                <Link href={`/app/customers/${c.id}`}>{c.legal_name}</Link>
              </li>
            ))}
          </ul>
        </>
      ) : null}
    </section>
  );
}

function MyCompanyCard() {
  const { t } = useI18n();
  const user = useUser();
  const res = useAsync(
    async (s) => {
      if (!user.customer_id) return undefined;
      const [customer, keys] = await Promise.all([
        api.get<Customer>(`/api/customers/${user.customer_id}`, undefined, s),
        api.get<{ items: ApiKey[] }>(`/api/customers/${user.customer_id}/api-keys`, undefined, s),
      ]);
      return { customer, keys: keys.items };
    },
    [user.customer_id],
  );
  return (
    <>
      <section className="card" aria-labelledby="co-h">
        <h2 id="co-h">{t('home.myCompany')}</h2>
        {res.loading ? <Loading /> : null}
        <ErrorBox error={res.error} onRetry={res.reload} />
        {!user.customer_id ? <p>{t('keys.noCustomer')}</p> : null}
        {res.data ? (
          <dl className="kv">
            <dt>{t('customers.name')}</dt>
            <dd>{res.data.customer.legal_name}</dd>
            <dt>{t('customers.taxCode')}</dt>
            <dd>{res.data.customer.tax_code}</dd>
            <dt>{t('customers.segment')}</dt>
            <dd>{res.data.customer.segment}</dd>
          </dl>
        ) : null}
      </section>
      {res.data ? (
        <section className="card" aria-labelledby="keys-h">
          <h2 id="keys-h">{t('home.keys')}</h2>
          <p className="stat">
            {res.data.keys.filter((k) => k.status === 'active' || k.status === 'expiring').length}
          </p>
          <Link href="/app/api-keys" className="btn">
            {t('nav.apiKeys')}
          </Link>
        </section>
      ) : null}
    </>
  );
}

function AuditCard() {
  const { t, fmtDate } = useI18n();
  const res = useAsync((s) => api.get<{ items: AuditEntry[] }>('/api/audit', { limit: 5 }, s), []);
  return (
    <section className="card" aria-labelledby="audit-h">
      <h2 id="audit-h">{t('home.audit')}</h2>
      {res.loading ? <Loading /> : null}
      <ErrorBox error={res.error} onRetry={res.reload} />
      {res.data ? (
        <ul className="plain-list">
          {res.data.items.map((a) => (
            <li key={a.id}>
              <span className="muted small">{fmtDate(a.at)}</span> <code>{a.action}</code>
            </li>
          ))}
        </ul>
      ) : null}
      <Link href="/app/audit">{t('nav.audit')} →</Link>
    </section>
  );
}

/** `GET /api/billing/usage/current`: this month's running usage, cost and tier. */
interface Usage {
  month: string;
  requests: number;
  plan: string;
  tier_mode: string;
  tier: number;
  unit_price_vnd: number;
  amount_vnd: number;
  next_tier: { tier: number; starts_at: number; unit_price_vnd: number; requests_to_go: number } | null;
}

/** The customer admin's usage this month: requests, cost so far, current tier and the next threshold. */
function UsageCard() {
  const { t, fmtNumber } = useI18n();
  const res = useAsync((s) => api.get<Usage>('/api/billing/usage/current', undefined, s), []);
  const u = res.data;
  const share = u?.next_tier ? Math.min(1, u.requests / Math.max(1, u.next_tier.starts_at - 1)) : 1;
  return (
    <section className="card" aria-labelledby="usage-h" data-testid="usage-card">
      <h2 id="usage-h">{t('usage.title', { month: u?.month ?? '' })}</h2>
      {res.loading ? <Loading /> : null}
      <ErrorBox error={res.error} onRetry={res.reload} />
      {u ? (
        <>
          <dl className="usage">
            <div>
              <dt>{t('usage.requests')}</dt>
              <dd className="stat" data-testid="usage-requests">
                {fmtNumber(u.requests)}
              </dd>
            </div>
            <div>
              <dt>{t('usage.cost')}</dt>
              <dd className="stat" data-testid="usage-cost">
                {fmtNumber(u.amount_vnd)} ₫
              </dd>
            </div>
            <div>
              <dt>{t('usage.tier')}</dt>
              <dd data-testid="usage-tier">
                {t('usage.tierValue', { tier: u.tier, price: fmtNumber(u.unit_price_vnd) })}
              </dd>
            </div>
          </dl>
          {u.next_tier ? (
            <>
              <progress
                max={100}
                value={Math.round(share * 100)}
                aria-label={t('usage.toNext', {
                  n: fmtNumber(u.next_tier.requests_to_go),
                  tier: u.next_tier.tier,
                })}
              />
              <p className="small" data-testid="usage-next">
                {t('usage.next', {
                  tier: u.next_tier.tier,
                  at: fmtNumber(u.next_tier.starts_at),
                  price: fmtNumber(u.next_tier.unit_price_vnd),
                  n: fmtNumber(u.next_tier.requests_to_go),
                })}
              </p>
            </>
          ) : (
            <p className="small">{t('usage.topTier')}</p>
          )}
          <p className="muted small">{t('usage.plan', { plan: u.plan, mode: u.tier_mode })}</p>
        </>
      ) : null}
    </section>
  );
}
