import { useState } from 'react';
import { api, request } from '../api.ts';
import { DownloadButton } from '../download.tsx';
import { useI18n } from '../i18n.tsx';
import { ErrorBox, Field, FormModal, Loading, Modal, useAction, useAsync } from '../ui.tsx';

export interface Contract {
  id: string;
  customer_id: string;
  edition: string;
  status: string;
  start_date: string | null;
  end_date: string | null;
  signing_unit_id: string | null;
  price_plan_code: string | null;
  renewal_of: string | null;
  cancel_effective_date: string | null;
}

/** Today's date where the business is (the server checks dates against the Vietnamese calendar). */
export function todayLocal(): string {
  return new Date().toLocaleDateString('sv-SE', { timeZone: 'Asia/Ho_Chi_Minh' });
}

/** The unit declares the signed renewal: same customer and edition, the term continues after the original. */
export function RenewModal({
  contract,
  onClose,
  onDone,
}: {
  contract: Contract;
  onClose: () => void;
  onDone: () => void;
}) {
  const { t } = useI18n();
  const [form, setForm] = useState({ signed_at: todayLocal(), term_months: '12', amount: '', notes: '' });
  const set = (k: keyof typeof form) => (e: { target: { value: string } }) =>
    setForm({ ...form, [k]: e.target.value });
  const cloud = contract.edition === 'cloud_saas';
  return (
    <FormModal
      title={t('contracts.renewTitle', { id: contract.id })}
      submit={t('contracts.renewSubmit')}
      onClose={onClose}
      onDone={onDone}
      onSubmit={() =>
        api.post('/api/contracts', {
          customer_id: contract.customer_id,
          edition: contract.edition,
          renewal_of: contract.id,
          signed_at: form.signed_at,
          term_months: Number(form.term_months),
          ...(cloud
            ? { price_plan_code: contract.price_plan_code ?? 'cloud_saas_default' }
            : { onprem_amount_vnd: Number(form.amount) }),
          ...(form.notes.trim() ? { notes: form.notes.trim() } : {}),
        })
      }
    >
      <p className="muted">{t('contracts.renewIntro', { end: contract.end_date ?? '—' })}</p>
      <Field label={t('contracts.signedAt')}>
        {(id) => (
          <input
            id={id}
            type="date"
            required
            max={todayLocal()}
            value={form.signed_at}
            onChange={set('signed_at')}
          />
        )}
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
      {cloud ? null : (
        <Field label={t('contracts.amount')}>
          {(id) => (
            <input id={id} type="number" min={0} required value={form.amount} onChange={set('amount')} />
          )}
        </Field>
      )}
      <Field label={t('contracts.notes')}>
        {(id) => <textarea id={id} maxLength={4000} rows={2} value={form.notes} onChange={set('notes')} />}
      </Field>
    </FormModal>
  );
}

/** The unit declares the customer's cancellation; the effective date is the first day without service. */
export function CancelModal({
  contract,
  onClose,
  onDone,
}: {
  contract: Contract;
  onClose: () => void;
  onDone: () => void;
}) {
  const { t } = useI18n();
  const today = todayLocal();
  const [form, setForm] = useState({ requested_on: today, effective_date: today, reason: '' });
  const set = (k: keyof typeof form) => (e: { target: { value: string } }) =>
    setForm({ ...form, [k]: e.target.value });
  return (
    <FormModal
      title={t('contracts.cancelTitle', { id: contract.id })}
      submit={t('contracts.cancelSubmit')}
      danger
      cancel={t('common.close')}
      onClose={onClose}
      onDone={onDone}
      onSubmit={() =>
        api.post(`/api/contracts/${contract.id}/cancel`, { ...form, reason: form.reason.trim() })
      }
    >
      <Field label={t('contracts.requestedOn')}>
        {(id) => (
          <input
            id={id}
            type="date"
            required
            max={today}
            value={form.requested_on}
            onChange={set('requested_on')}
          />
        )}
      </Field>
      <Field label={t('contracts.effectiveDate')} hint={t('contracts.effectiveHint')}>
        {(id, hint) => (
          <input
            id={id}
            type="date"
            required
            min={today}
            aria-describedby={hint}
            value={form.effective_date}
            onChange={set('effective_date')}
          />
        )}
      </Field>
      <Field label={t('contracts.reason')}>
        {(id) => (
          <textarea id={id} required maxLength={1000} rows={3} value={form.reason} onChange={set('reason')} />
        )}
      </Field>
    </FormModal>
  );
}

interface ContractEvent {
  id: number;
  at: string;
  actor_type: string;
  actor_id: string | null;
  event: string;
  from_status: string | null;
  to_status: string | null;
  reason: string | null;
}

/** Who may upload the signed PDF (the server's guard on POST …/signed-file). */
const FILE_UPLOADERS = new Set(['admin', 'operator', 'unit_user', 'agent_user']);

/**
 * A contract's history (every transition: when, who, from → to, why) and its signed PDF: download, or
 * upload when none is stored yet or it is replaced. Whether one is stored is read from the history.
 */
export function ContractHistoryModal({
  contract,
  role,
  onClose,
}: {
  contract: Contract;
  role: string;
  onClose: () => void;
}) {
  const { t, fmtDate, label } = useI18n();
  const events = useAsync(
    (s) => api.get<{ items: ContractEvent[] }>(`/api/contracts/${contract.id}/timeline`, undefined, s),
    [contract.id],
  );
  const [file, setFile] = useState<File | null>(null);
  const [uploaded, setUploaded] = useState(false);
  const upload = useAction();
  const hasFile = events.data?.items.some((e) => e.event === 'signed_file_uploaded') ?? false;
  return (
    <Modal title={t('contracts.historyTitle', { id: contract.id })} onClose={onClose}>
      <h3>{t('contracts.timeline')}</h3>
      {events.loading && !events.data ? <Loading /> : null}
      <ErrorBox error={events.error} onRetry={events.reload} />
      {events.data ? (
        <ol className="plain-list" data-testid="contract-timeline">
          {events.data.items.map((e) => (
            <li key={e.id}>
              <span className="muted small">{fmtDate(e.at)}</span> <code>{e.event}</code>
              {e.to_status ? (
                <>
                  {' '}
                  {e.from_status ? `${label('status', e.from_status)} → ` : ''}
                  {label('status', e.to_status)}
                </>
              ) : null}
              {e.actor_id ? <span className="muted small"> · {e.actor_id}</span> : null}
              {e.reason ? <div className="small">{e.reason}</div> : null}
            </li>
          ))}
        </ol>
      ) : null}
      <h3>{t('contracts.signedFile')}</h3>
      {events.data && !hasFile ? <p className="muted">{t('contracts.signedNone')}</p> : null}
      {hasFile ? (
        <DownloadButton
          url={`/api/contracts/${contract.id}/signed-file`}
          query={{}}
          label={t('contracts.signedDownload')}
        />
      ) : null}
      {FILE_UPLOADERS.has(role) ? (
        <form
          onSubmit={async (e) => {
            e.preventDefault();
            if (!file) return;
            setUploaded(false);
            const form = new FormData();
            form.append('file', file);
            const ok = await upload.run(() =>
              request(`/api/contracts/${contract.id}/signed-file`, { method: 'POST', form }),
            );
            if (ok !== undefined) {
              setUploaded(true);
              events.reload();
            }
          }}
        >
          <Field label={t('contracts.signedPick')}>
            {(id) => (
              <input
                id={id}
                type="file"
                accept="application/pdf,.pdf"
                required
                onChange={(e) => setFile(e.target.files?.[0] ?? null)}
              />
            )}
          </Field>
          <ErrorBox error={upload.error} />
          {uploaded ? (
            <p className="alert alert-ok" role="status">
              {t('contracts.signedUploaded')}
            </p>
          ) : null}
          <button type="submit" className="btn" disabled={upload.busy || !file}>
            {t('contracts.signedUpload')}
          </button>
        </form>
      ) : null}
      <div className="modal-actions">
        <button type="button" className="btn btn-primary" onClick={onClose}>
          {t('common.close')}
        </button>
      </div>
    </Modal>
  );
}
