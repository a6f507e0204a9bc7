import { type ApiKey, type AuditEntry, api, type Customer } from '../api.ts';
import { useI18n } from '../i18n.tsx';
import { navFor } from '../nav.ts';
import { Link } from '../router.tsx';
import { useUser } from '../session.tsx';
import { ErrorBox, Loading, useAsync } from '../ui.tsx';
import { UsageCard } from './Usage.tsx';

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
