import { type FormEvent, useState } from 'react';
import { api } from '../api.ts';
import { useI18n } from '../i18n.tsx';
import { useUser } from '../session.tsx';
import { Empty, ErrorBox, Field, FormModal, Loading, useAction, useAsync } from '../ui.tsx';
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

type UnitKind = 'it_center' | 'ctkv' | 'agent';
const UNIT_KINDS: readonly UnitKind[] = ['ctkv', 'it_center', 'agent'];

interface Unit {
  id: string;
  kind: UnitKind;
  code: string;
  name: string;
  legal_name: string | null;
  tax_code: string | null;
  email: string | null;
  region: string | null;
  parent_unit_id: string | null;
  active: boolean;
}

/** Units: the admin adds, edits and deactivates them (every change audited by the API). */
export function UnitsPage() {
  const { t, label } = useI18n();
  const [editing, setEditing] = useState<Unit | 'new' | null>(null);
  const [deactivating, setDeactivating] = useState<Unit | null>(null);
  const [reloadKey, setReloadKey] = useState(0);
  const reload = () => setReloadKey((k) => k + 1);
  const toggle = useAction();
  return (
    <>
      <ErrorBox error={toggle.error} />
      <ListPage<Unit>
        title="units.title"
        intro="units.intro"
        url="/api/units"
        paged={false}
        empty="units.empty"
        reloadKey={reloadKey}
        columns={[
          { label: 'units.code', render: (u) => <code>{u.code}</code> },
          { label: 'units.name', render: (u) => u.name },
          { label: 'units.kind', render: (u) => label('unitKind', u.kind) },
          { label: 'units.region', render: (u) => u.region ?? '—' },
          { label: 'units.email', render: (u) => u.email ?? '—' },
          {
            label: 'common.status',
            render: (u) => <StatusBadge status={u.active ? 'active' : 'disabled'} />,
          },
        ]}
        actions={(u, reloadList) => (
          <>
            <button type="button" className="btn btn-small" onClick={() => setEditing(u)}>
              {t('units.edit')}
            </button>
            {u.active ? (
              <button type="button" className="btn btn-small btn-danger" onClick={() => setDeactivating(u)}>
                {t('units.deactivate')}
              </button>
            ) : (
              <button
                type="button"
                className="btn btn-small"
                disabled={toggle.busy}
                onClick={async () => {
                  const ok = await toggle.run(() => api.patch(`/api/units/${u.id}`, { active: true }));
                  if (ok !== undefined) reloadList();
                }}
              >
                {t('units.activate')}
              </button>
            )}
          </>
        )}
      />
      <button type="button" className="btn btn-primary" onClick={() => setEditing('new')}>
        {t('units.add')}
      </button>
      {editing ? (
        <UnitModal
          unit={editing === 'new' ? null : editing}
          onClose={() => setEditing(null)}
          onDone={() => {
            setEditing(null);
            reload();
          }}
        />
      ) : null}
      {deactivating ? (
        <FormModal
          title={t('units.deactivateTitle', { name: deactivating.name })}
          submit={t('units.deactivate')}
          danger
          onSubmit={() => api.patch(`/api/units/${deactivating.id}`, { active: false })}
          onDone={() => {
            setDeactivating(null);
            reload();
          }}
          onClose={() => setDeactivating(null)}
        >
          <p>{t('units.deactivateConfirm', { name: deactivating.name, code: deactivating.code })}</p>
        </FormModal>
      ) : null}
    </>
  );
}

/** One form for a new unit and for editing one: only the changed fields are sent on edit. */
function UnitModal({
  unit,
  onClose,
  onDone,
}: {
  unit: Unit | null;
  onClose: () => void;
  onDone: () => void;
}) {
  const { t, label } = useI18n();
  const [form, setForm] = useState({
    kind: unit?.kind ?? ('ctkv' as UnitKind),
    code: unit?.code ?? '',
    name: unit?.name ?? '',
    legal_name: unit?.legal_name ?? '',
    tax_code: unit?.tax_code ?? '',
    email: unit?.email ?? '',
    region: unit?.region ?? '',
  });
  const text = (k: 'code' | 'name' | 'legal_name' | 'tax_code' | 'email' | 'region') => ({
    value: form[k],
    onChange: (e: { target: { value: string } }) => setForm({ ...form, [k]: e.target.value }),
  });
  const submit = () => {
    const body: Record<string, unknown> = {
      kind: form.kind,
      code: form.code.trim(),
      name: form.name.trim(),
      legal_name: form.legal_name.trim() || null,
      tax_code: form.tax_code.trim() || null,
      email: form.email.trim() || null,
      region: form.region.trim() || null,
    };
    if (unit)
      for (const k of Object.keys(body)) if (body[k] === (unit[k as keyof Unit] ?? null)) delete body[k];
    return unit ? api.patch(`/api/units/${unit.id}`, body) : api.post('/api/units', body);
  };
  return (
    <FormModal
      title={unit ? t('units.editTitle', { code: unit.code }) : t('units.add')}
      submit={t('users.save')}
      onSubmit={submit}
      onDone={onDone}
      onClose={onClose}
    >
      <Field label={t('units.kind')}>
        {(id) => (
          <select
            id={id}
            value={form.kind}
            onChange={(e) => setForm({ ...form, kind: e.target.value as UnitKind })}
          >
            {UNIT_KINDS.map((k) => (
              <option key={k} value={k}>
                {label('unitKind', k)}
              </option>
            ))}
          </select>
        )}
      </Field>
      <Field label={t('units.code')} hint={t('units.codeHint')}>
        {(id, hint) => (
          <input id={id} aria-describedby={hint} required pattern="[A-Za-z0-9_.\-]{2,30}" {...text('code')} />
        )}
      </Field>
      <Field label={t('units.name')}>
        {(id) => <input id={id} required maxLength={200} {...text('name')} />}
      </Field>
      <Field label={t('units.region')}>{(id) => <input id={id} maxLength={100} {...text('region')} />}</Field>
      <Field label={t('units.email')}>
        {(id) => <input id={id} type="email" maxLength={200} {...text('email')} />}
      </Field>
      {form.kind === 'agent' ? (
        <>
          <Field label={t('units.legalName')}>
            {(id) => <input id={id} required maxLength={300} {...text('legal_name')} />}
          </Field>
          <Field label={t('units.taxCode')}>
            {(id) => <input id={id} required maxLength={20} {...text('tax_code')} />}
          </Field>
        </>
      ) : null}
    </FormModal>
  );
}

interface PlanVersion {
  id: string;
  plan_code: string;
  plan_name?: string | null;
  customer_id?: string | null;
  effective_from: string;
  tier_mode: 'volume' | 'graduated';
  tiers: Array<{ up_to: number | null; unit_price_vnd: number }>;
  minimum_monthly_vnd: number;
}

/** Price plans by version, a new version from a date, and the channel-share rates over time. */
export function PlansPage() {
  const { t, fmtNumber, label } = useI18n();
  const user = useUser();
  const [reloadKey, setReloadKey] = useState(0);
  const versions = useAsync(
    (s) => api.get<{ items: PlanVersion[] }>('/api/price-plans', undefined, s),
    [reloadKey],
  );
  return (
    <>
      <ListPage<PlanVersion>
        title="plans.title"
        intro="plans.intro"
        url="/api/price-plans"
        paged={false}
        empty="plans.empty"
        reloadKey={reloadKey}
        columns={[
          { label: 'plans.code', render: (p) => <code>{p.plan_code}</code> },
          { label: 'plans.name', render: (p) => p.plan_name ?? '—' },
          { label: 'plans.from', render: (p) => p.effective_from },
          { label: 'plans.mode', render: (p) => label('tierMode', p.tier_mode) },
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
      {/* The form starts from the plans' latest versions: it waits for them. */}
      {versions.data && (user.role === 'admin' || user.role === 'operator') ? (
        <PlanVersionForm versions={versions.data.items} onDone={() => setReloadKey((k) => k + 1)} />
      ) : null}
      <Rates canEdit={user.role === 'admin'} />
    </>
  );
}

interface TierRow {
  up_to: string;
  unit_price_vnd: string;
}

/** A new version of a plan (or a new plan) from a date; the last tier has no upper bound. */
function PlanVersionForm({ versions, onDone }: { versions: PlanVersion[]; onDone: () => void }) {
  const { t, label } = useI18n();
  const codes = [...new Set(versions.map((v) => v.plan_code))];
  const latest = (code: string) => versions.filter((v) => v.plan_code === code).at(-1);
  const start = (code: string) => {
    const v = latest(code);
    return {
      code,
      name: '',
      effective_from: '',
      tier_mode: v?.tier_mode ?? ('volume' as PlanVersion['tier_mode']),
      minimum_monthly_vnd: String(v?.minimum_monthly_vnd ?? 0),
      tiers: (v?.tiers ?? [{ up_to: null, unit_price_vnd: 1000 }]).map((x) => ({
        up_to: x.up_to === null ? '' : String(x.up_to),
        unit_price_vnd: String(x.unit_price_vnd),
      })),
    };
  };
  const [form, setForm] = useState(() => start(codes[0] ?? ''));
  const [isNew, setIsNew] = useState(codes.length === 0);
  const action = useAction();
  const [saved, setSaved] = useState(false);
  const setTier = (i: number, k: keyof TierRow, v: string) =>
    setForm({ ...form, tiers: form.tiers.map((x, j) => (j === i ? { ...x, [k]: v } : x)) });
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setSaved(false);
    const ok = await action.run(() =>
      api.post('/api/price-plans', {
        code: form.code.trim(),
        ...(isNew ? { name: form.name.trim() } : {}),
        effective_from: form.effective_from,
        tier_mode: form.tier_mode,
        minimum_monthly_vnd: Number(form.minimum_monthly_vnd),
        tiers: form.tiers.map((x, i) => ({
          up_to: i === form.tiers.length - 1 || x.up_to === '' ? null : Number(x.up_to),
          unit_price_vnd: Number(x.unit_price_vnd),
        })),
      }),
    );
    if (ok !== undefined) {
      setSaved(true);
      onDone();
    }
  };
  return (
    <form className="card" aria-labelledby="plan-version-h" onSubmit={submit}>
      <h2 id="plan-version-h">{t('plans.newVersion')}</h2>
      <p className="muted">{t('plans.newVersionIntro')}</p>
      <Field label={t('plans.code')}>
        {(id) => (
          <select
            id={id}
            value={isNew ? '' : form.code}
            onChange={(e) => {
              setIsNew(e.target.value === '');
              setForm(start(e.target.value));
            }}
          >
            {codes.map((c) => (
              <option key={c} value={c}>
                {c} · {latest(c)?.plan_name}
              </option>
            ))}
            <option value="">{t('plans.newPlan')}</option>
          </select>
        )}
      </Field>
      {isNew ? (
        <>
          <Field label={t('plans.newCode')} hint={t('plans.codeHint')}>
            {(id, hint) => (
              <input
                id={id}
                aria-describedby={hint}
                required
                pattern="[a-z0-9_]{2,60}"
                value={form.code}
                onChange={(e) => setForm({ ...form, code: e.target.value })}
              />
            )}
          </Field>
          <Field label={t('plans.name')}>
            {(id) => (
              <input
                id={id}
                required
                maxLength={200}
                value={form.name}
                onChange={(e) => setForm({ ...form, name: e.target.value })}
              />
            )}
          </Field>
        </>
      ) : null}
      <Field label={t('plans.from')}>
        {(id) => (
          <input
            id={id}
            type="date"
            required
            value={form.effective_from}
            onChange={(e) => setForm({ ...form, effective_from: e.target.value })}
          />
        )}
      </Field>
      <Field label={t('plans.mode')}>
        {(id) => (
          <select
            id={id}
            value={form.tier_mode}
            onChange={(e) => setForm({ ...form, tier_mode: e.target.value as PlanVersion['tier_mode'] })}
          >
            {(['volume', 'graduated'] as const).map((m) => (
              <option key={m} value={m}>
                {label('tierMode', m)}
              </option>
            ))}
          </select>
        )}
      </Field>
      <Field label={t('plans.minimum')}>
        {(id) => (
          <input
            id={id}
            type="number"
            min={0}
            step={1}
            required
            value={form.minimum_monthly_vnd}
            onChange={(e) => setForm({ ...form, minimum_monthly_vnd: e.target.value })}
          />
        )}
      </Field>
      <fieldset className="tiers">
        <legend>{t('plans.tiers')}</legend>
        {form.tiers.map((x, i) => {
          const last = i === form.tiers.length - 1;
          return (
            // biome-ignore lint/suspicious/noArrayIndexKey: tiers are positions; a row has no other identity
            <div className="tier-row" key={i}>
              <label>
                {t('plans.tierUpTo', { i: i + 1 })}
                <input
                  type="number"
                  min={1}
                  step={1}
                  required={!last}
                  disabled={last}
                  placeholder={last ? '∞' : undefined}
                  value={last ? '' : x.up_to}
                  onChange={(e) => setTier(i, 'up_to', e.target.value)}
                />
              </label>
              <label>
                {t('plans.tierPrice', { i: i + 1 })}
                <input
                  type="number"
                  min={0}
                  step={1}
                  required
                  value={x.unit_price_vnd}
                  onChange={(e) => setTier(i, 'unit_price_vnd', e.target.value)}
                />
              </label>
              {form.tiers.length > 1 ? (
                <button
                  type="button"
                  className="btn btn-small"
                  aria-label={t('plans.removeTier', { i: i + 1 })}
                  onClick={() => setForm({ ...form, tiers: form.tiers.filter((_, j) => j !== i) })}
                >
                  ✕
                </button>
              ) : null}
            </div>
          );
        })}
        <button
          type="button"
          className="btn btn-small"
          onClick={() =>
            setForm({
              ...form,
              tiers: [...form.tiers.slice(0, -1), { up_to: '', unit_price_vnd: '' }, ...form.tiers.slice(-1)],
            })
          }
        >
          {t('plans.addTier')}
        </button>
      </fieldset>
      <ErrorBox error={action.error} />
      {saved ? (
        <p className="alert alert-ok" role="status">
          {t('plans.saved')}
        </p>
      ) : null}
      <button type="submit" className="btn btn-primary" disabled={action.busy}>
        {t('plans.saveVersion')}
      </button>
    </form>
  );
}

interface Rate {
  id: string;
  channel: 'agent' | 'am';
  rate_bp: number;
  effective_from: string;
}

/** Channel-share rates over time; a new one starts after the last finalized month. */
function Rates({ canEdit }: { canEdit: boolean }) {
  const { t, label } = useI18n();
  const res = useAsync(
    (s) => api.get<{ items: Rate[]; locked_through: string | null }>('/api/commissions/rates', undefined, s),
    [],
  );
  const [form, setForm] = useState({ channel: 'agent' as Rate['channel'], percent: '', effective_from: '' });
  const [confirming, setConfirming] = useState(false);
  const locked = res.data?.locked_through ?? null;
  return (
    <section className="card" aria-labelledby="rates-h">
      <h2 id="rates-h">{t('rates.title')}</h2>
      <p className="muted">
        {t('rates.intro')} {locked ? t('rates.locked', { month: locked.slice(0, 7) }) : null}
      </p>
      {res.loading && !res.data ? <Loading /> : null}
      <ErrorBox error={res.error} onRetry={res.reload} />
      {res.data ? (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">{t('rates.channel')}</th>
                <th scope="col">{t('rates.rate')}</th>
                <th scope="col">{t('plans.from')}</th>
              </tr>
            </thead>
            <tbody>
              {res.data.items.map((r) => (
                <tr key={r.id}>
                  <td>{label('channel', r.channel)}</td>
                  <td>{(r.rate_bp / 100).toFixed(2)} %</td>
                  <td>{r.effective_from}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {canEdit ? (
        <form
          aria-labelledby="rates-add-h"
          onSubmit={(e) => {
            e.preventDefault();
            setConfirming(true);
          }}
        >
          <h3 id="rates-add-h">{t('rates.add')}</h3>
          <Field label={t('rates.channel')}>
            {(id) => (
              <select
                id={id}
                value={form.channel}
                onChange={(e) => setForm({ ...form, channel: e.target.value as Rate['channel'] })}
              >
                {(['agent', 'am'] as const).map((c) => (
                  <option key={c} value={c}>
                    {label('channel', c)}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field label={t('rates.percent')}>
            {(id) => (
              <input
                id={id}
                type="number"
                min={0}
                max={100}
                step={0.01}
                required
                value={form.percent}
                onChange={(e) => setForm({ ...form, percent: e.target.value })}
              />
            )}
          </Field>
          <Field label={t('plans.from')}>
            {(id) => (
              <input
                id={id}
                type="date"
                required
                value={form.effective_from}
                onChange={(e) => setForm({ ...form, effective_from: e.target.value })}
              />
            )}
          </Field>
          <button type="submit" className="btn btn-primary">
            {t('rates.save')}
          </button>
        </form>
      ) : null}
      {confirming ? (
        <FormModal
          title={t('rates.confirmTitle')}
          submit={t('rates.save')}
          onSubmit={() =>
            api.post('/api/commissions/rates', {
              channel: form.channel,
              // Basis points are integers; the percent field allows two decimals.
              rate_bp: Math.round(Number(form.percent) * 100),
              effective_from: form.effective_from,
            })
          }
          onDone={() => {
            setConfirming(false);
            setForm({ ...form, percent: '', effective_from: '' });
            res.reload();
          }}
          onClose={() => setConfirming(false)}
        >
          <p>
            {t('rates.confirm', {
              channel: label('channel', form.channel),
              percent: Number(form.percent).toFixed(2),
              from: form.effective_from,
            })}
          </p>
        </FormModal>
      ) : null}
    </section>
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
