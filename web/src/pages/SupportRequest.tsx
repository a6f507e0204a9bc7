import { useState } from 'react';
import { api, type Customer } from '../api.ts';
import { type MsgKey, useI18n } from '../i18n.tsx';
import { Link, navigate } from '../router.tsx';
import { useUser } from '../session.tsx';
import { ErrorBox, Field, FormModal, Loading, useAsync } from '../ui.tsx';
import { StatusBadge } from './ListPage.tsx';

interface SlaPart {
  target_hours: number;
  due_at: string | null;
  breached: boolean;
  hours: number | null;
}

interface SupportEvent {
  id: number;
  at: string;
  kind: string;
  from_status: string | null;
  to_status: string | null;
  visibility: 'public' | 'internal';
  body: string | null;
  satisfied: boolean | null;
  actor: { type: string; id: string | null };
}

interface Attachment {
  id: string;
  filename: string;
  size_bytes: number;
  visibility: string;
}

interface SupportRequestDetail {
  id: string;
  customer_id: string | null;
  queue: 'consulting' | 'technical';
  hotline: string;
  category: string;
  priority: string;
  channel: string;
  status: string;
  subject: string;
  description: string;
  reopen_count: number;
  callback_at: string | null;
  received_at: string;
  contact_name?: string | null;
  contact_phone?: string | null;
  contact_email?: string | null;
  /** Staff only: the customer sees no SLA. */
  sla?: { running: boolean; first_response: SlaPart; resolution: SlaPart };
  events: SupportEvent[];
  attachments: Attachment[];
}

const DESK = new Set(['admin', 'operator', 'support_agent']);
/** The states `resolve` and `schedule_callback` start from (support/workflow.ts). */
const WORKABLE = new Set(['received', 'in_progress', 'waiting_customer', 'callback_scheduled', 'reopened']);
const REVIEWABLE = new Set(['resolved', 'awaiting_review']);

type Dialog = 'reply' | 'note' | 'callback' | 'resolve' | 'satisfied' | 'unsatisfied' | null;

/** Where a request stands against its targets: breached, paused (waiting on the customer) or on time. */
function SlaBadge({ sla }: { sla: SupportRequestDetail['sla'] }) {
  const { t, fmtDate } = useI18n();
  if (!sla) return null;
  if (sla.first_response.breached || sla.resolution.breached)
    return <span className="badge badge-bad">{t('support.slaBreached')}</span>;
  const due = sla.first_response.hours === null ? sla.first_response.due_at : sla.resolution.due_at;
  return (
    <span className={`badge ${sla.running ? 'badge-ok' : 'badge-muted'}`}>
      {sla.running ? t('support.slaOk') : t('support.slaPaused')}
      {sla.running && due ? ` · ${t('support.slaDue', { at: fmtDate(due) })}` : ''}
    </span>
  );
}

export function SupportRequestPage({ id }: { id: string }) {
  const { t, label, fmtDate } = useI18n();
  const user = useUser();
  const desk = DESK.has(user.role);
  const res = useAsync(
    (s) => api.get<SupportRequestDetail>(`/api/support/requests/${id}`, undefined, s),
    [id],
  );
  const [current, setCurrent] = useState<SupportRequestDetail | null>(null);
  const [dialog, setDialog] = useState<Dialog>(null);
  const [text, setText] = useState('');
  const [callbackAt, setCallbackAt] = useState('');
  const r = current?.id === id ? current : res.data;
  const customerId = r?.customer_id ?? null;
  const customer = useAsync(
    (s) =>
      customerId ? api.get<Customer>(`/api/customers/${customerId}`, undefined, s) : Promise.resolve(null),
    [customerId],
  );

  if (res.error) return <ErrorBox error={res.error} onRetry={res.reload} />;
  if (!r) return <Loading />;

  const open = (d: Dialog) => {
    setText('');
    setCallbackAt('');
    setDialog(d);
  };
  const done = (next: SupportRequestDetail) => {
    setCurrent(next);
    setDialog(null);
  };
  const post = (path: string, body: unknown) =>
    api.post<SupportRequestDetail>(`/api/support/requests/${r.id}/${path}`, body);
  const textField = (labelKey: MsgKey, required: boolean) => (
    <Field label={t(labelKey)}>
      {(fid) => (
        <textarea
          id={fid}
          rows={5}
          required={required}
          value={text}
          onChange={(e) => setText(e.target.value)}
        />
      )}
    </Field>
  );

  return (
    <>
      <p>
        <Link href="/app/support">← {t('support.title')}</Link>
      </p>
      <h1>
        {r.subject} <StatusBadge status={r.status} /> <SlaBadge sla={r.sla} />
      </h1>
      <section className="card">
        <dl className="details">
          <div>
            <dt>{t('support.code')}</dt>
            <dd>
              <code>{r.id}</code>
            </dd>
          </div>
          <div>
            <dt>{t('support.customer')}</dt>
            <dd>{customer.data?.legal_name ?? r.customer_id ?? '—'}</dd>
          </div>
          <div>
            <dt>{t('support.type')}</dt>
            <dd>
              {label('support.queueName', r.queue)} ({r.hotline})
            </dd>
          </div>
          <div>
            <dt>{t('support.category')}</dt>
            <dd>{r.category}</dd>
          </div>
          <div>
            <dt>{t('support.priority')}</dt>
            <dd>{label('support.priorityName', r.priority)}</dd>
          </div>
          <div>
            <dt>{t('support.channel')}</dt>
            <dd>{label('support.channelName', r.channel)}</dd>
          </div>
          <div>
            <dt>{t('support.received')}</dt>
            <dd>{fmtDate(r.received_at)}</dd>
          </div>
          {r.callback_at ? (
            <div>
              <dt>{t('support.callbackAt')}</dt>
              <dd>{fmtDate(r.callback_at)}</dd>
            </div>
          ) : null}
          {r.contact_name || r.contact_phone || r.contact_email ? (
            <div>
              <dt>{t('support.contact')}</dt>
              <dd>{[r.contact_name, r.contact_phone, r.contact_email].filter(Boolean).join(' · ')}</dd>
            </div>
          ) : null}
          {r.reopen_count > 0 ? (
            <div>
              <dt>{t('support.reopenCount')}</dt>
              <dd>{r.reopen_count}</dd>
            </div>
          ) : null}
        </dl>
        <p className="pre-wrap">{r.description}</p>
      </section>

      <div className="toolbar">
        {r.status !== 'closed' ? (
          <button type="button" className="btn btn-primary" onClick={() => open('reply')}>
            {t('support.reply')}
          </button>
        ) : null}
        {desk ? (
          <button type="button" className="btn" onClick={() => open('note')}>
            {t('support.note')}
          </button>
        ) : null}
        {desk && WORKABLE.has(r.status) ? (
          <>
            <button type="button" className="btn" onClick={() => open('callback')}>
              {t('support.scheduleCallback')}
            </button>
            <button type="button" className="btn" onClick={() => open('resolve')}>
              {t('support.resolve')}
            </button>
          </>
        ) : null}
        {REVIEWABLE.has(r.status) && user.role === 'customer_admin' ? (
          <>
            <button type="button" className="btn btn-primary" onClick={() => open('satisfied')}>
              {t('support.satisfied')}
            </button>
            <button type="button" className="btn" onClick={() => open('unsatisfied')}>
              {t('support.notSatisfied')}
            </button>
          </>
        ) : null}
      </div>

      <section className="card" aria-labelledby="support-timeline">
        <h2 id="support-timeline">{t('support.timeline')}</h2>
        <ol className="timeline">
          {r.events.map((e) => (
            <li key={e.id} className={`event event-${e.visibility} event-${e.kind}`} data-kind={e.kind}>
              <div className="event-head">
                <time dateTime={e.at}>{fmtDate(e.at)}</time> ·{' '}
                <strong>{label('support.event', e.kind)}</strong>
                {e.visibility === 'internal' ? (
                  <span className="badge badge-warn">{t('support.internal')}</span>
                ) : null}
                {e.from_status !== e.to_status && e.to_status ? (
                  <span className="muted">
                    {' '}
                    {e.from_status ? `${label('status', e.from_status)} → ` : ''}
                    {label('status', e.to_status)}
                  </span>
                ) : null}
                <span className="muted"> · {label('support.actor', e.actor.type)}</span>
                {e.satisfied !== null ? (
                  <span className={`badge ${e.satisfied ? 'badge-ok' : 'badge-bad'}`}>
                    {e.satisfied ? t('support.satisfied') : t('support.notSatisfied')}
                  </span>
                ) : null}
              </div>
              {e.body ? <p className="pre-wrap">{e.body}</p> : null}
            </li>
          ))}
        </ol>
      </section>

      {r.attachments.length ? (
        <section className="card" aria-labelledby="support-attachments">
          <h2 id="support-attachments">{t('support.attachments')}</h2>
          <ul>
            {r.attachments.map((a) => (
              <li key={a.id}>
                <a href={`/api/support/requests/${r.id}/attachments/${a.id}`}>{a.filename}</a>{' '}
                <span className="muted">({Math.ceil(a.size_bytes / 1024)} KB)</span>
                {a.visibility === 'internal' ? (
                  <span className="badge badge-warn">{t('support.internal')}</span>
                ) : null}
              </li>
            ))}
          </ul>
        </section>
      ) : null}

      {dialog === 'reply' ? (
        <FormModal
          title={t('support.reply')}
          submit={t('support.send')}
          onSubmit={() => post('replies', { body: text })}
          onDone={done}
          onClose={() => setDialog(null)}
        >
          {textField('support.replyText', true)}
        </FormModal>
      ) : null}
      {dialog === 'note' ? (
        <FormModal
          title={t('support.note')}
          submit={t('support.save')}
          onSubmit={() => post('notes', { body: text })}
          onDone={done}
          onClose={() => setDialog(null)}
        >
          {textField('support.noteText', true)}
        </FormModal>
      ) : null}
      {dialog === 'callback' ? (
        <FormModal
          title={t('support.scheduleCallback')}
          submit={t('support.save')}
          onSubmit={() =>
            post('transitions', {
              action: 'schedule_callback',
              // The picker gives Vietnamese wall time; the API takes an instant.
              callback_at: callbackAt ? new Date(`${callbackAt}:00+07:00`).toISOString() : undefined,
              note: text || undefined,
            })
          }
          onDone={done}
          onClose={() => setDialog(null)}
        >
          <Field label={t('support.callbackAt')} hint={t('support.callbackHint')}>
            {(fid, hint) => (
              <input
                id={fid}
                type="datetime-local"
                required
                aria-describedby={hint}
                value={callbackAt}
                onChange={(e) => setCallbackAt(e.target.value)}
              />
            )}
          </Field>
          {textField('support.noteText', false)}
        </FormModal>
      ) : null}
      {dialog === 'resolve' ? (
        <FormModal
          title={t('support.resolve')}
          submit={t('support.resolve')}
          onSubmit={() => post('transitions', { action: 'resolve', resolution: text })}
          onDone={done}
          onClose={() => setDialog(null)}
        >
          {textField('support.resolution', true)}
        </FormModal>
      ) : null}
      {dialog === 'satisfied' || dialog === 'unsatisfied' ? (
        <FormModal
          title={dialog === 'satisfied' ? t('support.satisfied') : t('support.notSatisfied')}
          submit={t('support.sendReview')}
          onSubmit={() => post('review', { satisfied: dialog === 'satisfied', comment: text || undefined })}
          onDone={done}
          onClose={() => setDialog(null)}
        >
          {textField('support.reviewComment', dialog === 'unsatisfied')}
        </FormModal>
      ) : null}
    </>
  );
}

/** A customer admin files a request from the portal; it opens on its own page. */
export function NewSupportRequest() {
  const { t, label } = useI18n();
  const user = useUser();
  const [openForm, setOpenForm] = useState(false);
  const [form, setForm] = useState({
    queue: 'technical',
    category: '',
    priority: 'normal',
    subject: '',
    description: '',
  });
  if (user.role !== 'customer_admin') return null;
  const set = (k: keyof typeof form) => (e: { target: { value: string } }) =>
    setForm((f) => ({ ...f, [k]: e.target.value }));
  return (
    <>
      <button type="button" className="btn btn-primary page-action" onClick={() => setOpenForm(true)}>
        {t('support.new')}
      </button>
      {openForm ? (
        <FormModal
          title={t('support.new')}
          submit={t('support.send')}
          onSubmit={() => api.post<SupportRequestDetail>('/api/support/requests', form)}
          onDone={(created) => navigate(`/app/support/${created.id}`)}
          onClose={() => setOpenForm(false)}
        >
          <Field label={t('support.type')}>
            {(fid) => (
              <select id={fid} value={form.queue} onChange={set('queue')}>
                {['technical', 'consulting'].map((q) => (
                  <option key={q} value={q}>
                    {label('support.queueName', q)}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field label={t('support.category')} hint={t('support.categoryHint')}>
            {(fid, hint) => (
              <input
                id={fid}
                required
                maxLength={60}
                aria-describedby={hint}
                value={form.category}
                onChange={set('category')}
              />
            )}
          </Field>
          <Field label={t('support.priority')}>
            {(fid) => (
              <select id={fid} value={form.priority} onChange={set('priority')}>
                {['low', 'normal', 'high', 'urgent'].map((p) => (
                  <option key={p} value={p}>
                    {label('support.priorityName', p)}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field label={t('support.subject')}>
            {(fid) => (
              <input id={fid} required maxLength={200} value={form.subject} onChange={set('subject')} />
            )}
          </Field>
          <Field label={t('support.description')}>
            {(fid) => (
              <textarea id={fid} rows={5} required value={form.description} onChange={set('description')} />
            )}
          </Field>
        </FormModal>
      ) : null}
    </>
  );
}
