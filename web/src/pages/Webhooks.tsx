import { useState } from 'react';
import { api } from '../api.ts';
import { useI18n } from '../i18n.tsx';
import { Empty, ErrorBox, Field, Loading, SecretModal, useAction, useAsync } from '../ui.tsx';
import { StatusBadge } from './ListPage.tsx';

interface Endpoint {
  id: string;
  url: string;
  events: string[];
  enabled: boolean;
  disabled_reason: string | null;
  secret_rotating_until: string | null;
  created_at: string;
}

interface Delivery {
  id: string;
  event_type: string;
  status: string;
  attempts: number;
  last_status_code: number | null;
  last_error: string | null;
  created_at: string;
  next_attempt_at: string | null;
}

/** What an endpoint can subscribe to (`webhook.test` is sent on demand only). */
const EVENTS = ['session.completed', 'session.review_decided', 'session.expired'] as const;

/** The customer admin's webhook endpoints: add, test, rotate the secret, the delivery log, redeliver. */
export function WebhooksPage() {
  const { t, fmtDate } = useI18n();
  const list = useAsync((s) => api.get<{ items: Endpoint[] }>('/api/webhooks', undefined, s), []);
  const [secret, setSecret] = useState<{ secret: string; rotating?: string | null } | null>(null);
  const [open, setOpen] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const act = useAction();
  const run = async <T,>(fn: () => Promise<T>, done?: string) => {
    setNotice(null);
    const r = await act.run(fn);
    if (r !== undefined) {
      if (done) setNotice(done);
      list.reload();
    }
    return r;
  };
  return (
    <>
      <h1>{t('webhooks.title')}</h1>
      <p className="muted">{t('webhooks.intro')}</p>
      <AddEndpoint
        onCreated={(s) => {
          setSecret({ secret: s });
          list.reload();
        }}
      />
      <ErrorBox error={act.error} />
      {notice ? (
        <p className="alert alert-ok" role="status">
          {notice}
        </p>
      ) : null}
      {list.loading && !list.data ? <Loading /> : null}
      <ErrorBox error={list.error} onRetry={list.reload} />
      {list.data && list.data.items.length === 0 ? <Empty>{t('webhooks.empty')}</Empty> : null}
      {list.data && list.data.items.length > 0 ? (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">URL</th>
                <th scope="col">{t('webhooks.events')}</th>
                <th scope="col">{t('common.status')}</th>
                <th scope="col">{t('keys.actions')}</th>
              </tr>
            </thead>
            <tbody>
              {list.data.items.map((e) => (
                <tr key={e.id}>
                  <td data-label="URL">
                    <code>{e.url}</code>
                  </td>
                  <td data-label={t('webhooks.events')}>{e.events.join(', ')}</td>
                  <td data-label={t('common.status')}>
                    <StatusBadge status={e.enabled ? 'active' : 'disabled'} />
                    {e.disabled_reason ? <div className="small">{e.disabled_reason}</div> : null}
                    {e.secret_rotating_until ? (
                      <div className="small muted">
                        {t('webhooks.rotatingUntil', { at: fmtDate(e.secret_rotating_until) })}
                      </div>
                    ) : null}
                  </td>
                  <td data-label={t('keys.actions')} className="actions">
                    <button
                      type="button"
                      className="btn btn-small"
                      aria-label={`${t('webhooks.test')} ${e.url}`}
                      disabled={act.busy}
                      onClick={async () => {
                        await run(() => api.post(`/api/webhooks/${e.id}/test`), t('webhooks.testSent'));
                        setOpen(e.id);
                      }}
                    >
                      {t('webhooks.test')}
                    </button>
                    <button
                      type="button"
                      className="btn btn-small"
                      aria-expanded={open === e.id}
                      aria-label={`${t('webhooks.log')} ${e.url}`}
                      onClick={() => setOpen(open === e.id ? null : e.id)}
                    >
                      {t('webhooks.log')}
                    </button>
                    <button
                      type="button"
                      className="btn btn-small"
                      aria-label={`${t('webhooks.rotate')} ${e.url}`}
                      disabled={act.busy}
                      onClick={async () => {
                        const r = await run(() =>
                          api.post<{ secret: string; endpoint: Endpoint }>(
                            `/api/webhooks/${e.id}/rotate-secret`,
                          ),
                        );
                        if (r) setSecret({ secret: r.secret, rotating: r.endpoint.secret_rotating_until });
                      }}
                    >
                      {t('webhooks.rotate')}
                    </button>
                    <button
                      type="button"
                      className="btn btn-small"
                      disabled={act.busy}
                      onClick={() => run(() => api.patch(`/api/webhooks/${e.id}`, { enabled: !e.enabled }))}
                    >
                      {e.enabled ? t('webhooks.disable') : t('webhooks.enable')}
                    </button>
                    <button
                      type="button"
                      className="btn btn-small btn-danger"
                      aria-label={`${t('webhooks.remove')} ${e.url}`}
                      disabled={act.busy}
                      onClick={() => {
                        if (open === e.id) setOpen(null);
                        // 204 has no body: answer something so the list reloads.
                        run(async () => {
                          await api.del(`/api/webhooks/${e.id}`);
                          return true;
                        });
                      }}
                    >
                      {t('webhooks.remove')}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {open ? <DeliveryLog endpointId={open} /> : null}
      {secret ? (
        <SecretModal
          title={t('webhooks.secretTitle')}
          warning={t('webhooks.secretWarn')}
          secret={secret.secret}
          testId="webhook-secret"
          note={secret.rotating ? t('webhooks.rotatingUntil', { at: fmtDate(secret.rotating) }) : null}
          onClose={() => setSecret(null)}
        />
      ) : null}
    </>
  );
}

function AddEndpoint({ onCreated }: { onCreated: (secret: string) => void }) {
  const { t } = useI18n();
  const [url, setUrl] = useState('');
  const [events, setEvents] = useState<string[]>([...EVENTS]);
  const action = useAction();
  return (
    <form
      className="card"
      aria-labelledby="add-wh-h"
      onSubmit={async (e) => {
        e.preventDefault();
        const r = await action.run(() =>
          api.post<{ secret: string }>('/api/webhooks', { url: url.trim(), events }),
        );
        if (r) {
          setUrl('');
          onCreated(r.secret);
        }
      }}
    >
      <h2 id="add-wh-h">{t('webhooks.add')}</h2>
      <Field label={t('webhooks.url')} hint={t('webhooks.urlHint')}>
        {(id, hint) => (
          <input
            id={id}
            type="url"
            required
            maxLength={2000}
            aria-describedby={hint}
            value={url}
            onChange={(e) => setUrl(e.target.value)}
          />
        )}
      </Field>
      <fieldset>
        <legend>{t('webhooks.events')}</legend>
        {EVENTS.map((ev) => (
          <label className="check" key={ev}>
            <input
              type="checkbox"
              checked={events.includes(ev)}
              onChange={(e) => setEvents(e.target.checked ? [...events, ev] : events.filter((x) => x !== ev))}
            />
            <code>{ev}</code>
          </label>
        ))}
      </fieldset>
      <ErrorBox error={action.error} />
      <button type="submit" className="btn btn-primary" disabled={action.busy || events.length === 0}>
        {t('webhooks.add')}
      </button>
    </form>
  );
}

function DeliveryLog({ endpointId }: { endpointId: string }) {
  const { t, fmtDate } = useI18n();
  const log = useAsync(
    (s) => api.get<{ items: Delivery[] }>(`/api/webhooks/${endpointId}/deliveries`, undefined, s),
    [endpointId],
  );
  const act = useAction();
  return (
    <section className="card" aria-labelledby="log-h" data-testid="delivery-log">
      <h2 id="log-h">{t('webhooks.log')}</h2>
      <button type="button" className="btn btn-small" onClick={log.reload}>
        {t('webhooks.refresh')}
      </button>
      <ErrorBox error={log.error} onRetry={log.reload} />
      <ErrorBox error={act.error} />
      {log.loading && !log.data ? <Loading /> : null}
      {log.data && log.data.items.length === 0 ? <Empty>{t('webhooks.noDeliveries')}</Empty> : null}
      {log.data && log.data.items.length > 0 ? (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">{t('webhooks.event')}</th>
                <th scope="col">{t('common.status')}</th>
                <th scope="col">{t('webhooks.attempts')}</th>
                <th scope="col">{t('webhooks.response')}</th>
                <th scope="col">{t('keys.created')}</th>
                <th scope="col">{t('keys.actions')}</th>
              </tr>
            </thead>
            <tbody>
              {log.data.items.map((d) => (
                <tr key={d.id} data-delivery={d.id}>
                  <td data-label={t('webhooks.event')}>
                    <code>{d.event_type}</code>
                  </td>
                  <td data-label={t('common.status')}>
                    <StatusBadge status={d.status} />
                  </td>
                  <td data-label={t('webhooks.attempts')}>{d.attempts}</td>
                  <td data-label={t('webhooks.response')}>
                    {d.last_status_code ?? '—'}{' '}
                    {d.last_error ? <span className="small">{d.last_error}</span> : null}
                  </td>
                  <td data-label={t('keys.created')}>{fmtDate(d.created_at)}</td>
                  <td data-label={t('keys.actions')}>
                    <button
                      type="button"
                      className="btn btn-small"
                      disabled={act.busy}
                      onClick={async () => {
                        const r = await act.run(() => api.post(`/api/webhooks/deliveries/${d.id}/redeliver`));
                        if (r !== undefined) log.reload();
                      }}
                    >
                      {t('webhooks.redeliver')}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </section>
  );
}
