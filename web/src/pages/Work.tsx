import { useState } from 'react';
import { api } from '../api.ts';
import { type MsgKey, useI18n } from '../i18n.tsx';
import { Link } from '../router.tsx';
import { useUser } from '../session.tsx';
import { ErrorBox, Field, FormModal, useAction, useAsync } from '../ui.tsx';
import { CancelModal, type Contract, ContractHistoryModal, RenewModal } from './ContractChanges.tsx';
import { ListPage, StatusBadge } from './ListPage.tsx';

const DECLARERS = new Set(['admin', 'unit_user', 'agent_user']);
const OPERATORS = new Set(['admin', 'operator']);
/** The states the server accepts a renewal or a cancellation from (contracts.service.ts). */
const RENEWABLE = new Set(['active', 'expiring', 'expired']);
const CANCELLABLE = new Set(['active', 'expiring', 'provisioning']);
/** Contracts the renewal countdown is shown for (the server's renewal_due filter picks the same). */
const IN_FORCE = new Set(['active', 'expiring']);
/** The list answer adds the calendar days from today (Asia/Ho_Chi_Minh) to the end date. */
type ListedContract = Contract & { days_left: number };

export function ContractsPage() {
  const { t, fmtDate } = useI18n();
  const user = useUser();
  const [declaring, setDeclaring] = useState(false);
  const [changing, setChanging] = useState<{ kind: 'renew' | 'cancel'; contract: Contract } | null>(null);
  const [history, setHistory] = useState<Contract | null>(null);
  const [reloadKey, setReloadKey] = useState(0);
  const changed = () => {
    setChanging(null);
    setReloadKey((k) => k + 1);
  };
  const act = useAction();
  const run = async (fn: () => Promise<unknown>, reload: () => void) => {
    const ok = await act.run(fn);
    if (ok !== undefined) reload();
  };
  return (
    <>
      {DECLARERS.has(user.role) ? (
        <button type="button" className="btn btn-primary page-action" onClick={() => setDeclaring(true)}>
          {t('contracts.declare')}
        </button>
      ) : null}
      <ErrorBox error={act.error} />
      {declaring ? (
        <DeclareModal
          onClose={() => setDeclaring(false)}
          onDone={() => {
            setDeclaring(false);
            setReloadKey((k) => k + 1);
          }}
        />
      ) : null}
      {changing?.kind === 'renew' ? (
        <RenewModal contract={changing.contract} onClose={() => setChanging(null)} onDone={changed} />
      ) : null}
      {history ? (
        <ContractHistoryModal contract={history} role={user.role} onClose={() => setHistory(null)} />
      ) : null}
      {changing?.kind === 'cancel' ? (
        <CancelModal contract={changing.contract} onClose={() => setChanging(null)} onDone={changed} />
      ) : null}
      <ListPage<ListedContract>
        title="contracts.title"
        url="/api/contracts"
        reloadKey={reloadKey}
        actions={(c, reload) => (
          <>
            <button
              type="button"
              className="btn btn-small"
              aria-label={`${t('contracts.history')} ${c.id}`}
              onClick={() => setHistory(c)}
            >
              {t('contracts.history')}
            </button>
            {c.status === 'declared' && !c.renewal_of && OPERATORS.has(user.role) ? (
              <button
                type="button"
                className="btn btn-small btn-primary"
                disabled={act.busy}
                onClick={() => run(() => api.post(`/api/contracts/${c.id}/provision`, {}), reload)}
              >
                {t('contracts.provision')}
              </button>
            ) : null}
            {c.status === 'declared' && c.renewal_of && OPERATORS.has(user.role) ? (
              <button
                type="button"
                className="btn btn-small btn-primary"
                disabled={act.busy}
                aria-label={`${t('contracts.activateRenewal')} ${c.id}`}
                onClick={() => run(() => api.post(`/api/contracts/${c.id}/activate-renewal`), reload)}
              >
                {t('contracts.activateRenewal')}
              </button>
            ) : null}
            {RENEWABLE.has(c.status) && DECLARERS.has(user.role) ? (
              <button
                type="button"
                className="btn btn-small"
                aria-label={`${t('contracts.renew')} ${c.id}`}
                onClick={() => setChanging({ kind: 'renew', contract: c })}
              >
                {t('contracts.renew')}
              </button>
            ) : null}
            {CANCELLABLE.has(c.status) && DECLARERS.has(user.role) ? (
              <button
                type="button"
                className="btn btn-small btn-danger"
                aria-label={`${t('contracts.cancel')} ${c.id}`}
                onClick={() => setChanging({ kind: 'cancel', contract: c })}
              >
                {t('contracts.cancel')}
              </button>
            ) : null}
            {c.status === 'provisioning' && DECLARERS.has(user.role) ? (
              <>
                <a
                  className="btn btn-small"
                  href={`/api/contracts/${c.id}/letter.pdf`}
                  target="_blank"
                  rel="noreferrer"
                >
                  {t('contracts.letter')}
                </a>
                <button
                  type="button"
                  className="btn btn-small btn-primary"
                  disabled={act.busy}
                  onClick={() =>
                    run(() => api.post(`/api/contracts/${c.id}/deliver`, { channel: 'letter' }), reload)
                  }
                >
                  {t('contracts.delivered')}
                </button>
              </>
            ) : null}
          </>
        )}
        empty="contracts.empty"
        filters={[
          {
            name: 'status',
            label: 'common.status',
            options: [
              'declared',
              'provisioning',
              'active',
              'expiring',
              'renewed',
              'expired',
              'cancellation_requested',
              'cancelled',
            ],
          },
          { name: 'renewal_due', label: 'contracts.renewalDue' },
        ]}
        columns={[
          { label: 'contracts.id', render: (c) => <code>{c.id}</code> },
          { label: 'contracts.customer', render: (c) => <code>{c.customer_id}</code> },
          { label: 'contracts.edition', render: (c) => c.edition },
          {
            label: 'common.status',
            render: (c) => (
              <>
                <StatusBadge status={c.status} />
                {c.renewal_of ? (
                  <div className="small muted">{t('contracts.renewalOf', { id: c.renewal_of })}</div>
                ) : null}
                {c.cancel_effective_date ? (
                  <div className="small">{t('contracts.cancelFrom', { date: c.cancel_effective_date })}</div>
                ) : null}
              </>
            ),
          },
          {
            label: 'contracts.term',
            render: (c) => (
              <>
                {`${c.start_date ? fmtDate(c.start_date).split(' ')[0] : '—'} → ${c.end_date ? fmtDate(c.end_date).split(' ')[0] : '—'}`}
                {IN_FORCE.has(c.status) && c.days_left >= 0 && c.days_left <= 30 ? (
                  <div>
                    <span className={`badge ${c.days_left <= 7 ? 'badge-bad' : 'badge-warn'}`}>
                      {c.days_left === 0
                        ? t('contracts.endsToday')
                        : t('contracts.daysLeft', { n: c.days_left })}
                    </span>
                  </div>
                ) : null}
              </>
            ),
          },
          { label: 'contracts.unit', render: (c) => c.signing_unit_id ?? '—' },
        ]}
      />
    </>
  );
}

interface Task {
  id: string;
  kind: string;
  contract_id: string | null;
  status: string;
  due_at: string | null;
  overdue: boolean;
  /** Open tasks: working days after today up to the due date (the server's business calendar). */
  working_days_left: number | null;
}

/** What the operator does for each kind of contract task (the server closes the task). */
const TASK_ACTIONS: Record<string, { path: string; label: MsgKey; done: MsgKey } | undefined> = {
  process_renewal: {
    path: 'activate-renewal',
    label: 'contracts.activateRenewal',
    done: 'tasks.renewalActivated',
  },
  process_cancellation: {
    path: 'confirm-cancellation',
    label: 'contracts.confirmCancellation',
    done: 'tasks.cancellationConfigured',
  },
};

export function TasksPage() {
  const { t, fmtDate } = useI18n();
  const user = useUser();
  const act = useAction();
  const [notice, setNotice] = useState<string | null>(null);
  return (
    <>
      <ErrorBox error={act.error} />
      {notice ? (
        <p className="alert alert-ok" role="status">
          {notice}
        </p>
      ) : null}
      <ListPage<Task>
        title="tasks.title"
        intro="tasks.intro"
        url="/api/tasks"
        empty="tasks.empty"
        actions={(x, reload) =>
          x.status === 'open' &&
          x.kind === 'provision_account' &&
          x.contract_id &&
          OPERATORS.has(user.role) ? (
            <button
              type="button"
              className="btn btn-small btn-primary"
              disabled={act.busy}
              aria-label={`${t('contracts.provision')} ${x.contract_id}`}
              onClick={async () => {
                setNotice(null);
                const r = await act.run(() =>
                  api.post<{ api_key_prefix?: string }>(`/api/contracts/${x.contract_id}/provision`, {}),
                );
                if (r !== undefined) {
                  setNotice(t('tasks.provisioned', { id: x.contract_id ?? '' }));
                  reload();
                }
              }}
            >
              {t('contracts.provision')}
            </button>
          ) : x.status === 'open' && x.contract_id && OPERATORS.has(user.role) && TASK_ACTIONS[x.kind] ? (
            <button
              type="button"
              className="btn btn-small btn-primary"
              disabled={act.busy}
              aria-label={`${t(TASK_ACTIONS[x.kind]!.label)} ${x.contract_id}`}
              onClick={async () => {
                setNotice(null);
                const step = TASK_ACTIONS[x.kind]!;
                const r = await act.run(() => api.post(`/api/contracts/${x.contract_id}/${step.path}`));
                if (r !== undefined) {
                  setNotice(t(step.done, { id: x.contract_id ?? '' }));
                  reload();
                }
              }}
            >
              {t(TASK_ACTIONS[x.kind]!.label)}
            </button>
          ) : x.status === 'open' && x.kind === 'deliver_account_details' && DECLARERS.has(user.role) ? (
            <Link className="btn btn-small" href="/app/contracts">
              {t('nav.contracts')}
            </Link>
          ) : null
        }
        filters={[
          { name: 'status', label: 'common.status', options: ['open', 'done', 'cancelled'] },
          { name: 'overdue', label: 'tasks.overdueOnly' },
        ]}
        columns={[
          { label: 'tasks.kind', render: (x) => x.kind },
          { label: 'contracts.id', render: (x) => (x.contract_id ? <code>{x.contract_id}</code> : '—') },
          { label: 'common.status', render: (x) => <StatusBadge status={x.status} /> },
          {
            label: 'tasks.due',
            render: (x) => (
              <>
                {fmtDate(x.due_at)}{' '}
                {x.overdue ? <span className="badge badge-bad">{t('tasks.overdue')}</span> : null}
                {x.working_days_left === null ? null : (
                  <div className={x.overdue ? 'small text-bad' : 'small'}>
                    {x.working_days_left < 0
                      ? t('tasks.workingDaysLate', { n: -x.working_days_left })
                      : x.working_days_left === 0
                        ? t('tasks.dueToday')
                        : t('tasks.workingDaysLeft', { n: x.working_days_left })}
                  </div>
                )}
              </>
            ),
          },
        ]}
      />
    </>
  );
}

interface Invoice {
  id: string;
  number: string | null;
  kind: string;
  customer_id: string;
  period_month: string;
  status: string;
  total_vnd: number;
}

export function InvoicesPage() {
  const { t, fmtNumber } = useI18n();
  return (
    <ListPage<Invoice>
      title="invoices.title"
      url="/api/invoices"
      empty="invoices.empty"
      filters={[{ name: 'status', label: 'common.status', options: ['draft', 'finalized'] }]}
      columns={[
        { label: 'invoices.number', render: (i) => i.number ?? <code>{i.id}</code> },
        { label: 'invoices.period', render: (i) => i.period_month },
        { label: 'contracts.customer', render: (i) => <code>{i.customer_id}</code> },
        { label: 'common.status', render: (i) => <StatusBadge status={i.status} /> },
        { label: 'invoices.total', render: (i) => `${fmtNumber(i.total_vnd)} ₫` },
        {
          label: 'invoices.pdf',
          render: (i) => (
            <a href={`/api/invoices/${i.id}/pdf`} target="_blank" rel="noreferrer">
              {t('invoices.pdf')}
            </a>
          ),
        },
      ]}
    />
  );
}

interface SupportRequest {
  id: string;
  subject: string;
  queue: string;
  priority: string;
  status: string;
  received_at: string;
  sla?: { first_response?: { breached?: boolean } | string; resolution?: { breached?: boolean } | string };
}

function slaBreached(s: SupportRequest['sla']): boolean {
  const b = (v: unknown) =>
    typeof v === 'object' && v !== null && (v as { breached?: boolean }).breached === true;
  return !!s && (b(s.first_response) || b(s.resolution));
}

export function SupportPage() {
  const { t, fmtDate } = useI18n();
  return (
    <ListPage<SupportRequest>
      title="support.title"
      url="/api/support/requests"
      empty="support.empty"
      filters={[
        {
          name: 'status',
          label: 'common.status',
          options: [
            'received',
            'in_progress',
            'waiting_customer',
            'callback_scheduled',
            'resolved',
            'awaiting_review',
            'reopened',
            'closed',
          ],
        },
        { name: 'queue', label: 'support.queue', options: ['consulting', 'technical'] },
      ]}
      columns={[
        { label: 'support.subject', render: (r) => <Link href={`/app/support/${r.id}`}>{r.subject}</Link> },
        { label: 'support.queue', render: (r) => r.queue },
        { label: 'support.priority', render: (r) => r.priority },
        { label: 'common.status', render: (r) => <StatusBadge status={r.status} /> },
        { label: 'support.received', render: (r) => fmtDate(r.received_at) },
        {
          label: 'support.sla',
          render: (r) =>
            slaBreached(r.sla) ? (
              <span className="badge badge-bad">{t('support.slaBreached')}</span>
            ) : (
              <span className="badge badge-ok">{t('support.slaOk')}</span>
            ),
        },
      ]}
    />
  );
}

interface VSession {
  id: string;
  customer_id: string;
  reference_id: string;
  status: string;
  checks: string[];
  reason_codes: string[];
  created_at: string;
}

/** Who may open a case (the server's review guard): the customer's admin and MobiFone operator/admin. */
const CASE_REVIEWERS = new Set(['admin', 'operator', 'customer_admin']);

export function SessionsPage() {
  const { t, fmtDate } = useI18n();
  const user = useUser();
  const reviewer = CASE_REVIEWERS.has(user.role);
  return (
    <ListPage<VSession>
      title="sessions.title"
      url="/api/verification-sessions"
      empty="sessions.empty"
      filters={[
        { name: 'q', label: 'sessions.search', input: 'search' },
        { name: 'from', label: 'audit.from', input: 'date' },
        { name: 'to', label: 'audit.to', input: 'date' },
        {
          name: 'status',
          label: 'common.status',
          options: [
            'created',
            'collecting',
            'processing',
            'approved',
            'declined',
            'review',
            'resubmission_requested',
            'expired',
            'abandoned',
          ],
        },
      ]}
      columns={[
        { label: 'sessions.id', render: (s) => <code>{s.id}</code> },
        {
          label: 'sessions.reference',
          render: (s) => (s.reference_id ? <code>{s.reference_id}</code> : '—'),
        },
        { label: 'common.status', render: (s) => <StatusBadge status={s.status} /> },
        { label: 'sessions.checks', render: (s) => s.checks.join(', ') },
        {
          label: 'sessions.reasons',
          render: (s) => (s.reason_codes.length ? s.reason_codes.map((c) => <code key={c}>{c} </code>) : '—'),
        },
        { label: 'keys.created', render: (s) => fmtDate(s.created_at) },
      ]}
      actions={(s) =>
        reviewer ? (
          <Link
            href={`/app/sessions/${s.id}`}
            className={`btn btn-small${s.status === 'review' ? ' btn-primary' : ''}`}
            aria-label={`${t(s.status === 'review' ? 'sessions.review' : 'sessions.open')} ${s.id}`}
          >
            {t(s.status === 'review' ? 'sessions.review' : 'sessions.open')}
          </Link>
        ) : null
      }
    />
  );
}

interface CustomerLite {
  id: string;
  legal_name: string;
}

function DeclareModal({ onClose, onDone }: { onClose: () => void; onDone: () => void }) {
  const { t } = useI18n();
  const customers = useAsync(
    (s) => api.get<{ items: CustomerLite[] }>('/api/customers', { limit: 500 }, s),
    [],
  );
  const plans = useAsync(
    (s) =>
      api.get<{ items: Array<{ plan_code: string; plan_name?: string | null }> }>(
        '/api/price-plans',
        undefined,
        s,
      ),
    [],
  );
  // One entry per plan (the API lists every version of each plan).
  const planCodes = [
    ...new Map((plans.data?.items ?? []).map((p) => [p.plan_code, p.plan_name || p.plan_code])).entries(),
  ];
  const today = new Date().toISOString().slice(0, 10);
  const [form, setForm] = useState({
    customer_id: '',
    edition: 'cloud_saas',
    signed_at: today,
    term_months: '12',
    notes: '',
    price_plan_code: '',
  });
  const set = (k: keyof typeof form) => (e: { target: { value: string } }) =>
    setForm({ ...form, [k]: e.target.value });
  return (
    <FormModal
      title={t('contracts.declare')}
      submit={t('contracts.declare')}
      onClose={onClose}
      onDone={onDone}
      onSubmit={() =>
        api.post('/api/contracts', {
          customer_id: form.customer_id,
          edition: form.edition,
          signed_at: form.signed_at,
          term_months: Number(form.term_months),
          ...(form.edition === 'cloud_saas' && (form.price_plan_code || planCodes[0])
            ? { price_plan_code: form.price_plan_code || planCodes[0]![0] }
            : {}),
          ...(form.notes.trim() ? { notes: form.notes.trim() } : {}),
        })
      }
    >
      <ErrorBox error={customers.error} />
      <ErrorBox error={plans.error} />
      <Field label={t('contracts.customer')}>
        {(id) => (
          <select id={id} required value={form.customer_id} onChange={set('customer_id')}>
            <option value="">—</option>
            {(customers.data?.items ?? []).map((c) => (
              <option key={c.id} value={c.id}>
                {c.legal_name}
              </option>
            ))}
          </select>
        )}
      </Field>
      <Field label={t('contracts.edition')}>
        {(id) => (
          <select id={id} value={form.edition} onChange={set('edition')}>
            <option value="cloud_saas">Cloud SaaS</option>
            <option value="on_premise">On-premise</option>
          </select>
        )}
      </Field>
      {form.edition === 'cloud_saas' ? (
        <Field label={t('contracts.plan')}>
          {(id) => (
            <select id={id} value={form.price_plan_code} onChange={set('price_plan_code')}>
              {planCodes.map(([code, name]) => (
                <option key={code} value={code}>
                  {name}
                </option>
              ))}
            </select>
          )}
        </Field>
      ) : null}
      <Field label={t('contracts.signedAt')}>
        {(id) => <input id={id} type="date" required value={form.signed_at} onChange={set('signed_at')} />}
      </Field>
      <Field label={t('contracts.termMonths')}>
        {(id) => (
          <input
            id={id}
            type="number"
            min={1}
            max={120}
            required
            value={form.term_months}
            onChange={set('term_months')}
          />
        )}
      </Field>
      <Field label={t('contracts.notes')}>
        {(id) => <textarea id={id} maxLength={4000} rows={2} value={form.notes} onChange={set('notes')} />}
      </Field>
    </FormModal>
  );
}
