import { type FormEvent, useState } from 'react';
import { api, type Customer } from '../api.ts';
import { useI18n } from '../i18n.tsx';
import { Link } from '../router.tsx';
import { useUser } from '../session.tsx';
import { Empty, ErrorBox, Field, FormModal, Loading, useAsync } from '../ui.tsx';
import { ApiKeysPanel } from './ApiKeys.tsx';

export function CustomersPage() {
  const { t, fmtDate, label } = useI18n();
  const [draft, setDraft] = useState(new URLSearchParams(location.search).get('q') ?? '');
  const [q, setQ] = useState(draft);
  const res = useAsync((s) => api.get<{ items: Customer[] }>('/api/customers', { q, limit: 200 }, s), [q]);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setQ(draft.trim());
    const url = draft.trim() ? `?q=${encodeURIComponent(draft.trim())}` : location.pathname;
    history.replaceState(null, '', url);
  };

  const user = useUser();
  const [creating, setCreating] = useState(false);
  return (
    <>
      <h1>{t('customers.title')}</h1>
      {CUSTOMER_WRITERS.has(user.role) ? (
        <button type="button" className="btn btn-primary page-action" onClick={() => setCreating(true)}>
          {t('customers.new')}
        </button>
      ) : null}
      {creating ? (
        <NewCustomerModal
          onClose={() => setCreating(false)}
          onDone={() => {
            setCreating(false);
            res.reload();
          }}
        />
      ) : null}
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
                  <td data-label={t('customers.segment')}>{label('segment', c.segment)}</td>
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

interface UnitLite {
  id: string;
  code: string;
  name: string;
  active: boolean;
}

export function CustomerDetailPage({ id }: { id: string }) {
  const { t, fmtDate, label } = useI18n();
  const user = useUser();
  const res = useAsync(
    (s) => api.get<Customer>(`/api/customers/${encodeURIComponent(id)}`, undefined, s),
    [id],
  );
  const units = useAsync((s) => api.get<{ items: UnitLite[] }>('/api/units', undefined, s), []);
  const unitName = (unitId: string | null) => {
    if (unitId === null) return '—';
    const u = units.data?.items.find((x) => x.id === unitId);
    return u ? `${u.code} · ${u.name}` : unitId;
  };
  const [changingUnit, setChangingUnit] = useState(false);
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
              <dd>{label('segment', res.data.segment)}</dd>
              <dt>{t('customers.unit')}</dt>
              <dd>
                <span data-testid="customer-unit">{unitName(res.data.managing_unit_id)}</span>
                {user.role === 'admin' && units.data ? (
                  <>
                    {' '}
                    <button type="button" className="btn btn-small" onClick={() => setChangingUnit(true)}>
                      {t('customers.changeUnit')}
                    </button>
                  </>
                ) : null}
              </dd>
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
          {changingUnit && units.data ? (
            <ManagingUnitModal
              customer={res.data}
              units={units.data.items}
              onClose={() => setChangingUnit(false)}
              onDone={() => {
                setChangingUnit(false);
                res.reload();
              }}
            />
          ) : null}
          {KEY_MANAGERS.has(user.role) ? <ApiKeysPanel customerId={res.data.id} /> : null}
        </>
      ) : null}
    </>
  );
}

/** Admin only (the API refuses a unit handing its customer on): active units, or none. */
function ManagingUnitModal({
  customer,
  units,
  onClose,
  onDone,
}: {
  customer: Customer;
  units: UnitLite[];
  onClose: () => void;
  onDone: () => void;
}) {
  const { t } = useI18n();
  const [unitId, setUnitId] = useState(customer.managing_unit_id ?? '');
  return (
    <FormModal
      title={t('customers.changeUnitTitle', { name: customer.legal_name })}
      submit={t('users.save')}
      onSubmit={() => api.patch(`/api/customers/${customer.id}`, { managing_unit_id: unitId || null })}
      onDone={onDone}
      onClose={onClose}
    >
      <Field label={t('customers.unit')} hint={t('customers.changeUnitHint')}>
        {(fid, hint) => (
          <select id={fid} aria-describedby={hint} value={unitId} onChange={(e) => setUnitId(e.target.value)}>
            <option value="">{t('customers.unassigned')}</option>
            {units
              .filter((u) => u.active || u.id === customer.managing_unit_id)
              .map((u) => (
                <option key={u.id} value={u.id}>
                  {u.code} · {u.name}
                </option>
              ))}
          </select>
        )}
      </Field>
    </FormModal>
  );
}

const CUSTOMER_WRITERS = new Set(['admin', 'unit_user', 'agent_user']);
const SEGMENTS = ['bank', 'finance', 'securities', 'insurance', 'other'] as const;

/** A sales unit records a new customer of theirs (the server makes the unit its manager). */
function NewCustomerModal({ onClose, onDone }: { onClose: () => void; onDone: () => void }) {
  const { t, label } = useI18n();
  const [form, setForm] = useState({
    legal_name: '',
    tax_code: '',
    segment: 'bank',
    contact_name: '',
    contact_email: '',
    contact_phone: '',
  });
  const set = (k: keyof typeof form) => (e: { target: { value: string } }) =>
    setForm({ ...form, [k]: e.target.value });
  const opt = (v: string) => (v.trim() ? v.trim() : null);
  return (
    <FormModal
      title={t('customers.new')}
      submit={t('customers.create')}
      onClose={onClose}
      onDone={onDone}
      onSubmit={() =>
        api.post('/api/customers', {
          legal_name: form.legal_name.trim(),
          tax_code: form.tax_code.trim(),
          segment: form.segment,
          contact_name: opt(form.contact_name),
          contact_email: opt(form.contact_email),
          contact_phone: opt(form.contact_phone),
        })
      }
    >
      <Field label={t('customers.name')}>
        {(id) => (
          <input id={id} required maxLength={300} value={form.legal_name} onChange={set('legal_name')} />
        )}
      </Field>
      <Field label={t('customers.taxCode')} hint={t('customers.taxCodeHint')}>
        {(id, hint) => (
          <input
            id={id}
            required
            inputMode="numeric"
            pattern="\d{10}(-?\d{3})?"
            aria-describedby={hint}
            value={form.tax_code}
            onChange={set('tax_code')}
          />
        )}
      </Field>
      <Field label={t('customers.segment')}>
        {(id) => (
          <select id={id} value={form.segment} onChange={set('segment')}>
            {SEGMENTS.map((s) => (
              <option key={s} value={s}>
                {label('segment', s)}
              </option>
            ))}
          </select>
        )}
      </Field>
      <Field label={t('customers.contactName')}>
        {(id) => <input id={id} maxLength={200} value={form.contact_name} onChange={set('contact_name')} />}
      </Field>
      <Field label={t('customers.contactEmail')} hint={t('customers.contactEmailHint')}>
        {(id, hint) => (
          <input
            id={id}
            type="email"
            required
            aria-describedby={hint}
            value={form.contact_email}
            onChange={set('contact_email')}
          />
        )}
      </Field>
      <Field label={t('customers.contactPhone')}>
        {(id) => <input id={id} type="tel" value={form.contact_phone} onChange={set('contact_phone')} />}
      </Field>
    </FormModal>
  );
}
