import { type FormEvent, useState } from 'react';
import { type ApiKey, api, type IssuedKey } from '../api.ts';
import { useI18n } from '../i18n.tsx';
import { Link } from '../router.tsx';
import { useUser } from '../session.tsx';
import { Empty, ErrorBox, Field, FormModal, Loading, SecretModal, useAction, useAsync } from '../ui.tsx';

/** The customer admin's own keys. */
export function MyApiKeysPage() {
  const { t } = useI18n();
  const user = useUser();
  return (
    <>
      <h1>{t('keys.title')}</h1>
      {user.customer_id ? (
        <ApiKeysPanel customerId={user.customer_id} bare />
      ) : (
        <Empty>{t('keys.noCustomer')}</Empty>
      )}
    </>
  );
}

/** Staff open a customer's keys from the customer page. */
export function ApiKeysPage({ customerId }: { customerId: string }) {
  const { t } = useI18n();
  return (
    <>
      <p>
        <Link href={`/app/customers/${customerId}`}>← {t('common.back')}</Link>
      </p>
      <h1>{t('keys.title')}</h1>
      <ApiKeysPanel customerId={customerId} bare />
    </>
  );
}

const STATUS_CLASS: Record<ApiKey['status'], string> = {
  active: 'badge-ok',
  expiring: 'badge-warn',
  expired: 'badge-muted',
  revoked: 'badge-bad',
};

export function ApiKeysPanel({ customerId, bare = false }: { customerId: string; bare?: boolean }) {
  const { t, fmtDate } = useI18n();
  const list = useAsync(
    (s) =>
      api.get<{ items: ApiKey[] }>(`/api/customers/${encodeURIComponent(customerId)}/api-keys`, undefined, s),
    [customerId],
  );
  const [name, setName] = useState('');
  const create = useAction();
  const [issued, setIssued] = useState<IssuedKey | null>(null);
  const [revoking, setRevoking] = useState<ApiKey | null>(null);
  const [rotating, setRotating] = useState<ApiKey | null>(null);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const res = await create.run(() =>
      api.post<IssuedKey>(`/api/customers/${encodeURIComponent(customerId)}/api-keys`, { name: name.trim() }),
    );
    if (res) {
      setIssued(res);
      setName('');
      list.reload();
    }
  };

  return (
    <section className={bare ? '' : 'card'} aria-labelledby="keys-title">
      {bare ? null : <h2 id="keys-title">{t('keys.title')}</h2>}
      <p className="muted">{t('keys.intro')}</p>
      <form className="toolbar" onSubmit={submit}>
        <Field label={t('keys.name')}>
          {(id) => (
            <input
              id={id}
              required
              maxLength={100}
              placeholder={t('keys.namePlaceholder')}
              value={name}
              onChange={(e) => setName(e.target.value)}
            />
          )}
        </Field>
        <button type="submit" className="btn btn-primary" disabled={create.busy || !name.trim()}>
          {t('keys.create')}
        </button>
      </form>
      <ErrorBox error={create.error} />
      {list.loading && !list.data ? <Loading /> : null}
      <ErrorBox error={list.error} onRetry={list.reload} />
      {list.data && list.data.items.length === 0 ? <Empty>{t('keys.empty')}</Empty> : null}
      {list.data && list.data.items.length > 0 ? (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">{t('keys.name')}</th>
                <th scope="col">{t('keys.prefix')}</th>
                <th scope="col">{t('keys.status')}</th>
                <th scope="col">{t('keys.created')}</th>
                <th scope="col">{t('keys.lastUsed')}</th>
                <th scope="col">{t('keys.expires')}</th>
                <th scope="col">{t('keys.actions')}</th>
              </tr>
            </thead>
            <tbody>
              {list.data.items.map((k) => (
                <tr key={k.id} data-key-id={k.id}>
                  <td data-label={t('keys.name')}>{k.name}</td>
                  <td data-label={t('keys.prefix')}>
                    <code>{k.prefix}…</code>
                  </td>
                  <td data-label={t('keys.status')}>
                    <span className={`badge ${STATUS_CLASS[k.status]}`}>{t(`keys.status.${k.status}`)}</span>
                  </td>
                  <td data-label={t('keys.created')}>{fmtDate(k.created_at)}</td>
                  <td data-label={t('keys.lastUsed')}>
                    {k.last_used_at ? fmtDate(k.last_used_at) : t('common.never')}
                  </td>
                  <td data-label={t('keys.expires')}>{fmtDate(k.expires_at)}</td>
                  <td data-label={t('keys.actions')} className="actions">
                    {k.status === 'active' ? (
                      <>
                        <button type="button" className="btn btn-small" onClick={() => setRotating(k)}>
                          {t('keys.rotate')}
                        </button>
                        <button
                          type="button"
                          className="btn btn-small btn-danger"
                          onClick={() => setRevoking(k)}
                        >
                          {t('keys.revoke')}
                        </button>
                      </>
                    ) : k.status === 'expiring' ? (
                      <button
                        type="button"
                        className="btn btn-small btn-danger"
                        onClick={() => setRevoking(k)}
                      >
                        {t('keys.revoke')}
                      </button>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {issued ? <IssuedKeyModal issued={issued} onClose={() => setIssued(null)} /> : null}
      {revoking ? (
        <RevokeModal
          apiKey={revoking}
          onClose={() => setRevoking(null)}
          onDone={() => {
            setRevoking(null);
            list.reload();
          }}
        />
      ) : null}
      {rotating ? (
        <RotateModal
          apiKey={rotating}
          onClose={() => setRotating(null)}
          onDone={(res) => {
            setRotating(null);
            setIssued(res);
            list.reload();
          }}
        />
      ) : null}
    </section>
  );
}

function IssuedKeyModal({ issued, onClose }: { issued: IssuedKey; onClose: () => void }) {
  const { t, fmtDate } = useI18n();
  return (
    <SecretModal
      title={t('keys.secretTitle')}
      warning={t('keys.secretWarn')}
      secret={issued.key}
      testId="api-key-secret"
      note={
        issued.previous?.expires_at
          ? t('keys.previousUntil', { at: fmtDate(issued.previous.expires_at) })
          : null
      }
      onClose={onClose}
    />
  );
}

function RevokeModal({
  apiKey,
  onClose,
  onDone,
}: {
  apiKey: ApiKey;
  onClose: () => void;
  onDone: () => void;
}) {
  const { t } = useI18n();
  return (
    <FormModal
      title={t('keys.revoke')}
      submit={t('keys.revoke')}
      danger
      onClose={onClose}
      onDone={onDone}
      onSubmit={() => api.post(`/api/api-keys/${apiKey.id}/revoke`)}
    >
      <p>{t('keys.revokeConfirm', { name: apiKey.name })}</p>
    </FormModal>
  );
}

function RotateModal({
  apiKey,
  onClose,
  onDone,
}: {
  apiKey: ApiKey;
  onClose: () => void;
  onDone: (res: IssuedKey) => void;
}) {
  const { t } = useI18n();
  const [grace, setGrace] = useState('24');
  return (
    <FormModal
      title={t('keys.rotateTitle', { name: apiKey.name })}
      submit={t('keys.rotate')}
      onClose={onClose}
      onDone={onDone}
      onSubmit={() =>
        api.post<IssuedKey>(`/api/api-keys/${apiKey.id}/rotate`, { grace_hours: Number(grace) })
      }
    >
      <Field label={t('keys.grace')} hint={t('keys.graceHint')}>
        {(id, hint) => (
          <input
            id={id}
            aria-describedby={hint}
            type="number"
            min={0}
            max={2160}
            step={1}
            required
            value={grace}
            onChange={(e) => setGrace(e.target.value)}
          />
        )}
      </Field>
    </FormModal>
  );
}
