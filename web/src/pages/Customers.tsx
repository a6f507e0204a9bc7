import { type FormEvent, useState } from 'react';
import { api, type Customer } from '../api.ts';
import { useI18n } from '../i18n.tsx';
import { Link } from '../router.tsx';
import { useUser } from '../session.tsx';
import { Empty, ErrorBox, Loading, useAsync } from '../ui.tsx';
import { ApiKeysPanel } from './ApiKeys.tsx';

export function CustomersPage() {
  const { t, fmtDate } = useI18n();
  const [draft, setDraft] = useState(new URLSearchParams(location.search).get('q') ?? '');
  const [q, setQ] = useState(draft);
  const res = useAsync((s) => api.get<{ items: Customer[] }>('/api/customers', { q, limit: 200 }, s), [q]);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setQ(draft.trim());
    const url = draft.trim() ? `?q=${encodeURIComponent(draft.trim())}` : location.pathname;
    history.replaceState(null, '', url);
  };

  return (
    <>
      <h1>{t('customers.title')}</h1>
      <search>
        <form className="toolbar" onSubmit={submit}>
          <label htmlFor="cust-q" className="sr-only">
            {t('common.search')}
          </label>
          <input
            id="cust-q"
            type="search"
            placeholder={t('customers.searchHint')}
            value={draft}
            onChange={(e) => setDraft(e.target.value)}
          />
          <button type="submit" className="btn">
            {t('common.search')}
          </button>
        </form>
      </search>
      {res.loading ? <Loading /> : null}
      <ErrorBox error={res.error} onRetry={res.reload} />
      {res.data && res.data.items.length === 0 ? <Empty>{t('customers.empty')}</Empty> : null}
      {res.data && res.data.items.length > 0 ? (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">{t('customers.name')}</th>
                <th scope="col">{t('customers.taxCode')}</th>
                <th scope="col">{t('customers.segment')}</th>
                <th scope="col">{t('customers.contact')}</th>
                <th scope="col">{t('customers.created')}</th>
              </tr>
            </thead>
            <tbody>
              {res.data.items.map((c) => (
                <tr key={c.id}>
                  <td data-label={t('customers.name')}>
                    <Link href={`/app/customers/${c.id}`}>{c.legal_name}</Link>
                  </td>
                  <td data-label={t('customers.taxCode')}>{c.tax_code}</td>
                  <td data-label={t('customers.segment')}>{c.segment}</td>
                  <td data-label={t('customers.contact')}>{c.contact_name ?? '—'}</td>
                  <td data-label={t('customers.created')}>{fmtDate(c.created_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </>
  );
}

const KEY_MANAGERS = new Set(['admin', 'operator', 'customer_admin']);

export function CustomerDetailPage({ id }: { id: string }) {
  const { t, fmtDate } = useI18n();
  const user = useUser();
  const res = useAsync(
    (s) => api.get<Customer>(`/api/customers/${encodeURIComponent(id)}`, undefined, s),
    [id],
  );
  return (
    <>
      <p>
        <Link href="/app/customers">← {t('customers.title')}</Link>
      </p>
      {res.loading ? <Loading /> : null}
      <ErrorBox error={res.error} onRetry={res.reload} />
      {res.data ? (
        <>
          <h1>{res.data.legal_name}</h1>
          <section className="card">
            <dl className="kv">
              <dt>{t('customers.taxCode')}</dt>
              <dd>{res.data.tax_code}</dd>
              <dt>{t('customers.segment')}</dt>
              <dd>{res.data.segment}</dd>
              <dt>{t('customers.unit')}</dt>
              <dd>{res.data.managing_unit_id ?? '—'}</dd>
              <dt>{t('customers.am')}</dt>
              <dd>{res.data.am_user_id ?? '—'}</dd>
              <dt>{t('customers.contact')}</dt>
              <dd>
                {[res.data.contact_name, res.data.contact_email, res.data.contact_phone]
                  .filter(Boolean)
                  .join(' · ') || '—'}
              </dd>
              <dt>{t('customers.created')}</dt>
              <dd>{fmtDate(res.data.created_at)}</dd>
            </dl>
          </section>
          {KEY_MANAGERS.has(user.role) ? <ApiKeysPanel customerId={res.data.id} /> : null}
        </>
      ) : null}
    </>
  );
}
