import { useState } from 'react';
import { api } from '../api.ts';
import { useI18n } from '../i18n.tsx';
import { useUser } from '../session.tsx';
import { Empty, ErrorBox, Field, Loading, useAction, useAsync } from '../ui.tsx';
import { ListPage, StatusBadge } from './ListPage.tsx';

interface Notice {
  id: string;
  channel: 'email' | 'letter';
  recipient: string;
  subject: string;
  body_text: string;
  template: string;
  status: string;
  created_at: string;
}

/** The outbox of emails and letters; a letter is marked printed once it is posted. */
export function NoticesPage() {
  const { t, fmtDate } = useI18n();
  const act = useAction();
  return (
    <>
      <ErrorBox error={act.error} />
      <ListPage<Notice>
        title="notices.title"
        intro="notices.intro"
        url="/api/notices"
        empty="notices.empty"
        filters={[
          { name: 'status', label: 'common.status', options: ['queued', 'sent', 'failed', 'printed'] },
        ]}
        columns={[
          { label: 'notices.created', render: (n) => fmtDate(n.created_at) },
          { label: 'notices.channel', render: (n) => n.channel },
          { label: 'notices.recipient', render: (n) => n.recipient },
          {
            label: 'notices.subject',
            render: (n) => (
              <details>
                <summary>{n.subject}</summary>
                <pre className="notice-body">{n.body_text}</pre>
              </details>
            ),
          },
          { label: 'notices.template', render: (n) => <code>{n.template}</code> },
          { label: 'common.status', render: (n) => <StatusBadge status={n.status} /> },
        ]}
        actions={(n, reload) =>
          n.channel === 'letter' && n.status !== 'printed' ? (
            <button
              type="button"
              className="btn btn-small"
              disabled={act.busy}
              onClick={async () => {
                if ((await act.run(() => api.post(`/api/notices/${n.id}/printed`))) !== undefined) reload();
              }}
            >
              {t('notices.printed')}
            </button>
          ) : null
        }
      />
    </>
  );
}

interface Unit {
  id: string;
  kind: string;
  code: string;
  name: string;
  email: string | null;
  parent_unit_id: string | null;
  active: boolean;
}

export function UnitsPage() {
  return (
    <ListPage<Unit>
      title="units.title"
      url="/api/units"
      empty="units.empty"
      columns={[
        { label: 'units.code', render: (u) => <code>{u.code}</code> },
        { label: 'units.name', render: (u) => u.name },
        { label: 'units.kind', render: (u) => u.kind },
        { label: 'units.parent', render: (u) => u.parent_unit_id ?? '—' },
        { label: 'units.email', render: (u) => u.email ?? '—' },
        { label: 'common.status', render: (u) => <StatusBadge status={u.active ? 'active' : 'disabled'} /> },
      ]}
    />
  );
}

interface PlanVersion {
  id: string;
  plan_code: string;
  plan_name?: string | null;
  effective_from: string;
  tier_mode: string;
  tiers: Array<{ up_to: number | null; unit_price_vnd: number }>;
}

export function PlansPage() {
  const { t, fmtNumber } = useI18n();
  return (
    <ListPage<PlanVersion>
      title="plans.title"
      url="/api/price-plans"
      empty="plans.empty"
      columns={[
        { label: 'plans.code', render: (p) => <code>{p.plan_code}</code> },
        { label: 'plans.name', render: (p) => p.plan_name ?? '—' },
        { label: 'plans.from', render: (p) => p.effective_from },
        { label: 'plans.mode', render: (p) => p.tier_mode },
        {
          label: 'plans.tiers',
          render: (p) => (
            <ol className="plain-list">
              {p.tiers.map((x, i) => (
                <li key={x.up_to ?? 'top'}>
                  {t('plans.tier', {
                    i: i + 1,
                    upTo: x.up_to === null ? '∞' : fmtNumber(x.up_to),
                    price: fmtNumber(x.unit_price_vnd),
                  })}
                </li>
              ))}
            </ol>
          ),
        },
      ]}
    />
  );
}

interface Csca {
  id: string;
  subject: string;
  country: string;
  not_before: string;
  not_after: string;
  source: string;
}

export function TrustPage() {
  const { fmtDate } = useI18n();
  return (
    <ListPage<Csca>
      title="trust.title"
      intro="trust.intro"
      url="/api/trust/csca"
      empty="trust.empty"
      columns={[
        { label: 'trust.country', render: (c) => c.country },
        { label: 'trust.subject', render: (c) => <code>{c.subject}</code> },
        { label: 'trust.valid', render: (c) => `${fmtDate(c.not_before)} → ${fmtDate(c.not_after)}` },
        { label: 'trust.source', render: (c) => c.source },
      ]}
    />
  );
}

interface CalendarDay {
  day: string;
  kind: 'holiday' | 'working_day';
  name_vi: string;
  name_en: string;
  source: 'default' | 'admin';
}

/** Holidays and make-up working days of a year; the admin adds a change (it moves every deadline). */
export function CalendarPage() {
  const { t, lang } = useI18n();
  const user = useUser();
  const thisYear = Number(
    new Date().toLocaleDateString('sv-SE', { timeZone: 'Asia/Ho_Chi_Minh' }).slice(0, 4),
  );
  const [year, setYear] = useState(thisYear);
  const res = useAsync((s) => api.get<{ items: CalendarDay[] }>('/api/calendar/days', { year }, s), [year]);
  const [form, setForm] = useState({ day: '', kind: 'holiday', name_vi: '' });
  const action = useAction();
  return (
    <>
      <h1>{t('calendar.title')}</h1>
      <p className="muted">{t('calendar.intro')}</p>
      <div className="toolbar">
        <div className="field">
          <label htmlFor="cal-year">{t('calendar.year')}</label>
          <select id="cal-year" value={year} onChange={(e) => setYear(Number(e.target.value))}>
            {[thisYear - 1, thisYear, thisYear + 1].map((y) => (
              <option key={y} value={y}>
                {y}
              </option>
            ))}
          </select>
        </div>
      </div>
      {user.role === 'admin' ? (
        <form
          className="card"
          aria-labelledby="cal-add-h"
          onSubmit={async (e) => {
            e.preventDefault();
            const ok = await action.run(() =>
              api.put(`/api/calendar/days/${form.day}`, { kind: form.kind, name_vi: form.name_vi.trim() }),
            );
            if (ok !== undefined) {
              setYear(Number(form.day.slice(0, 4)));
              res.reload();
            }
          }}
        >
          <h2 id="cal-add-h">{t('calendar.add')}</h2>
          <Field label={t('calendar.day')}>
            {(id) => (
              <input
                id={id}
                type="date"
                required
                value={form.day}
                onChange={(e) => setForm({ ...form, day: e.target.value })}
              />
            )}
          </Field>
          <Field label={t('calendar.kind')}>
            {(id) => (
              <select id={id} value={form.kind} onChange={(e) => setForm({ ...form, kind: e.target.value })}>
                <option value="holiday">{t('calendar.holiday')}</option>
                <option value="working_day">{t('calendar.workingDay')}</option>
              </select>
            )}
          </Field>
          <Field label={t('calendar.name')}>
            {(id) => (
              <input
                id={id}
                required
                maxLength={200}
                value={form.name_vi}
                onChange={(e) => setForm({ ...form, name_vi: e.target.value })}
              />
            )}
          </Field>
          <ErrorBox error={action.error} />
          <button type="submit" className="btn btn-primary" disabled={action.busy}>
            {t('calendar.save')}
          </button>
        </form>
      ) : null}
      {res.loading && !res.data ? <Loading /> : null}
      <ErrorBox error={res.error} onRetry={res.reload} />
      {res.data && res.data.items.length === 0 ? <Empty>{t('calendar.empty')}</Empty> : null}
      {res.data && res.data.items.length > 0 ? (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">{t('calendar.day')}</th>
                <th scope="col">{t('calendar.kind')}</th>
                <th scope="col">{t('calendar.name')}</th>
                <th scope="col">{t('calendar.source')}</th>
              </tr>
            </thead>
            <tbody>
              {res.data.items.map((d) => (
                <tr key={d.day}>
                  <td>{d.day}</td>
                  <td>{d.kind === 'holiday' ? t('calendar.holiday') : t('calendar.workingDay')}</td>
                  <td>{lang === 'vi' ? d.name_vi : d.name_en}</td>
                  <td>{d.source === 'admin' ? t('calendar.byAdmin') : t('calendar.byDefault')}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </>
  );
}
